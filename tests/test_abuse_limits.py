"""A leaked key must not pump SMS to a premium number, nor flood the API.

Mallory got hold of Nordic Living's API key. She posts orders with SMS consent
for her premium-rate number and pushes shipment events to trigger texts. The
daily caps per number and per merchant stop the texts (counted from the sent
touchpoints, so a cache restart cannot reset them); the API quota answers 429.
"""

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from notifications import sms
from notifications.models import MessagingPreferences, Touchpoint
from notifications.sending import touchpoint_send, touchpoints_send
from orders.models import Order
from tests.conftest import make_payload
from tests.guarantees import record

pytestmark = pytest.mark.django_db

PREMIUM = "+4590123456"


@pytest.fixture(autouse=True)
def _no_quiet_hours(merchant_a, merchant_b):
    # Texts at any hour here: the caps, not the clock, are under test.
    for merchant in (merchant_a, merchant_b):
        MessagingPreferences.objects.update_or_create(
            merchant=merchant,
            defaults={"sms_quiet_start": dt.time(0, 0), "sms_quiet_end": dt.time(0, 0)},
        )


def _sms_touchpoint(api, merchant, n: int, *, phone=PREMIUM, sms_consent=True) -> Touchpoint:
    payload = make_payload(f"sms-{n}")
    payload["customer"].update(
        phone=phone, email=f"m{n}@example.com", consent={"email": False, "sms": sms_consent}
    )
    body = api.post("/api/v1/orders/", payload, format="json").json()
    order = Order.objects.for_merchant(merchant).get(pk=body["id"])
    return Touchpoint.objects.create(
        merchant=merchant,
        order=order,
        kind=Touchpoint.Kind.CONGRATULATION,
        channel=Touchpoint.Channel.SMS,
        cause=f"abuse-test-{n}",
        due_at=timezone.now(),
    )


@override_settings(SMS_LIMIT_PER_NUMBER_PER_DAY=3)
def test_texts_to_one_number_stop_at_the_daily_cap(api_a, merchant_a):
    outcomes = [
        touchpoint_send(touchpoint_id=_sms_touchpoint(api_a, merchant_a, n).pk) for n in range(6)
    ]
    assert outcomes == ["sent"] * 3 + ["skipped"] * 3
    assert [m.to for m in sms.outbox] == [PREMIUM] * 3
    skipped = Touchpoint.objects.for_merchant(merchant_a).filter(status="skipped", channel="sms")
    assert skipped.count() == 3
    # Another number is not held back by Mallory's.
    other = _sms_touchpoint(api_a, merchant_a, 99, phone="+4520123456")
    assert touchpoint_send(touchpoint_id=other.pk) == "sent"
    record("security", "SMS cap per number per day", limit=3, tried=6, sent=3, outcome="skipped")


@override_settings(SMS_LIMIT_PER_NUMBER_PER_DAY=3)
def test_the_daily_cap_holds_within_one_batch(api_a, merchant_a):
    """A batch builds each message before the one ahead of it is recorded (#16, second
    round); an SMS is still checked against the caps once that send is recorded."""
    ids = [_sms_touchpoint(api_a, merchant_a, n).pk for n in range(6)]

    outcomes = touchpoints_send(touchpoint_ids=ids)

    assert [outcomes[pk] for pk in ids] == ["sent"] * 3 + ["skipped"] * 3
    assert [m.to for m in sms.outbox] == [PREMIUM] * 3


@override_settings(SMS_LIMIT_PER_MERCHANT_PER_DAY=2, SMS_LIMIT_PER_NUMBER_PER_DAY=100)
def test_merchant_daily_sms_budget_holds_across_numbers(api_a, api_b, merchant_a, merchant_b):
    phones = ["+4520123401", "+4520123402", "+4520123403"]
    outcomes = [
        touchpoint_send(touchpoint_id=_sms_touchpoint(api_a, merchant_a, n, phone=p).pk)
        for n, p in enumerate(phones)
    ]
    assert outcomes == ["sent", "sent", "skipped"]
    # Merchant B's budget is its own.
    assert touchpoint_send(touchpoint_id=_sms_touchpoint(api_b, merchant_b, 7).pk) == "sent"
    record(
        "security", "SMS budget per merchant per day", limit=2, tried=3, sent=2, outcome="skipped"
    )


def test_no_text_without_sms_consent(api_a, merchant_a):
    touchpoint = _sms_touchpoint(api_a, merchant_a, 1, sms_consent=False)
    assert touchpoint_send(touchpoint_id=touchpoint.pk) == "skipped"
    assert sms.outbox == []


def test_no_text_to_an_erased_buyer(api_a, merchant_a):
    touchpoint = _sms_touchpoint(api_a, merchant_a, 1)
    api_a.post(f"/api/v1/customers/{touchpoint.order.customer_id}/erase/", format="json")
    touchpoint.refresh_from_db()
    assert touchpoint.status in ("cancelled", "skipped")
    assert touchpoint_send(touchpoint_id=touchpoint.pk) in ("not-claimed", "skipped")
    assert sms.outbox == []


@override_settings(API_RATE_LIMIT=5, API_RATE_WINDOW=60)
def test_order_ingestion_is_throttled_per_merchant_with_retry_after(api_a, merchant_a):
    statuses = [
        api_a.post("/api/v1/orders/", make_payload(f"flood-{n}"), format="json").status_code
        for n in range(8)
    ]
    assert statuses[:5] == [201] * 5
    assert statuses[5:] == [429] * 3
    refused = api_a.post("/api/v1/orders/", make_payload("flood-x"), format="json")
    assert refused.has_header("Retry-After")
    assert Order.objects.for_merchant(merchant_a).count() == 5
    record("security", "API ingestion quota", limit=5, tried=9, outcome="429 + Retry-After")
