"""Anna hears about her sofa's journey: the right news, on the right channel, once."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from notifications import sms
from notifications.models import Touchpoint
from notifications.quiet_hours import quiet_until
from notifications.services import shipment_notification_set
from notifications.templating import sms_segments
from tests.notification_helpers import place_order, scan, send_due, ship, updates

pytestmark = pytest.mark.django_db


@pytest.fixture
def annas_shipment(api_a, merchant_a, settings):
    order = place_order(api_a)
    send_due()  # the congratulation
    mail.outbox.clear()
    return ship(api_a, order["id"], estimated_delivery="2026-11-26")


@pytest.fixture
def daytime(monkeypatch):
    """Noon in Copenhagen: outside SMS quiet hours."""
    noon = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: noon)
    return noon


def test_in_transit_goes_by_email_only_by_default(api_a, merchant_a, annas_shipment, daytime):
    scan(api_a, annas_shipment, "in_transit", "2026-11-23T08:00:00Z")
    send_due()
    assert [m.subject for m in mail.outbox] == ["Din ordre #3001 er på vej"]
    assert sms.outbox == []
    skipped = updates(merchant_a).get(channel="sms")
    assert skipped.status == "skipped"
    assert "off in the merchant's settings" in skipped.error


def test_out_for_delivery_goes_by_sms_with_the_tracking_link(
    api_a, merchant_a, annas_shipment, daytime
):
    scan(api_a, annas_shipment, "out_for_delivery", "2026-11-23T08:00:00Z")
    send_due()
    assert mail.outbox == []
    (text,) = sms.outbox
    order = updates(merchant_a).first().order
    assert text.to == "+4520123456"
    assert text.body.startswith("Nordic Living: din ordre kommer i dag.")
    assert order.tracking_url in text.body
    assert sms_segments(text.body) == ("gsm7", 1)


def test_delivered_goes_on_both_channels(api_a, merchant_a, annas_shipment, daytime):
    scan(api_a, annas_shipment, "delivered", "2026-11-23T08:00:00Z")
    send_due()
    assert [m.subject for m in mail.outbox] == ["Din ordre #3001 er leveret"]
    assert len(sms.outbox) == 1
    assert set(updates(merchant_a).values_list("status", flat=True)) == {"sent"}


def test_problem_says_what_happens_next(api_a, merchant_a, annas_shipment, daytime):
    scan(api_a, annas_shipment, "exception", "2026-11-23T08:00:00Z")
    send_due()
    (email,) = mail.outbox
    assert "Hvad sker der nu" in email.body
    assert "Vi kontakter dig inden for én hverdag" in email.body
    fix_page = f"{Touchpoint.objects.for_merchant(merchant_a).first().order.tracking_url}delivery/"
    assert fix_page in email.body
    (text,) = sms.outbox
    # The buyer can act at once: the SMS links to the page that fixes the delivery.
    assert "Tjek din adresse" in text.body and text.body.endswith(fix_page)
    assert sms_segments(text.body)[1] == 1


def test_every_status_sms_fits_one_segment_in_every_language(
    api_a, merchant_a, annas_shipment, daytime
):
    from notifications.selectors import DEFAULT_SHIPMENT_CHANNELS

    for status in DEFAULT_SHIPMENT_CHANNELS:
        shipment_notification_set(merchant=merchant_a, status=status, channel="sms", enabled=True)
    for locale in ("en", "da", "de"):
        Touchpoint.objects.for_merchant(merchant_a).update(status="done")
        for minute, status in enumerate(DEFAULT_SHIPMENT_CHANNELS):
            sms.outbox.clear()
            updates(merchant_a).delete()
            from orders.models import Order

            Order.objects.for_merchant(merchant_a).update(locale=locale)
            scan(
                api_a,
                annas_shipment,
                status,
                f"2026-11-2{3 + ['en', 'da', 'de'].index(locale)}T0{minute}:00:00Z",
            )
            send_due()
            assert len(sms.outbox) == 1, (locale, status)
            encoding, segments = sms_segments(sms.outbox[0].body)
            assert (encoding, segments) == ("gsm7", 1), (locale, status, sms.outbox[0].body)


def test_merchant_settings_turn_a_status_channel_on_and_off(
    api_a, merchant_a, annas_shipment, daytime
):
    shipment_notification_set(merchant=merchant_a, status="in_transit", channel="sms", enabled=True)
    shipment_notification_set(
        merchant=merchant_a, status="in_transit", channel="email", enabled=False
    )
    scan(api_a, annas_shipment, "in_transit", "2026-11-23T08:00:00Z")
    send_due()
    assert mail.outbox == []
    assert len(sms.outbox) == 1


def test_no_sms_consent_means_skipped_and_nothing_sent(api_a, merchant_a, daytime):
    customer = {
        "email": "bo@example.com",
        "phone": "+4520999999",
        "first_name": "Bo",
        "consent": {"email": True, "sms": False},
    }
    order = place_order(api_a, "3002", customer=customer)
    send_due()
    mail.outbox.clear()
    shipment = ship(api_a, order["id"])
    scan(api_a, shipment, "delivered", "2026-11-23T08:00:00Z")
    send_due()
    assert sms.outbox == []
    assert len(mail.outbox) == 1
    sms_update = updates(merchant_a).get(channel="sms")
    assert (sms_update.status, sms_update.error) == ("skipped", "no sms consent")


def test_duplicate_event_sends_once(api_a, merchant_a, annas_shipment, daytime):
    scan(api_a, annas_shipment, "delivered", "2026-11-23T08:00:00Z")
    scan(api_a, annas_shipment, "delivered", "2026-11-23T08:00:00Z")
    send_due()
    send_due()
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1


def test_a_burst_of_events_sends_one_message_with_the_latest_status(
    api_a, merchant_a, annas_shipment, daytime, settings, monkeypatch
):
    settings.SHIPMENT_UPDATE_COALESCE_SECONDS = 4
    shipment_notification_set(merchant=merchant_a, status="in_transit", channel="sms", enabled=True)
    scan(api_a, annas_shipment, "label_created", "2026-11-23T08:00:00Z")
    scan(api_a, annas_shipment, "in_transit", "2026-11-23T08:01:00Z")
    scan(api_a, annas_shipment, "out_for_delivery", "2026-11-23T08:02:00Z")
    assert send_due() == []  # still inside the coalescing window
    later = daytime + dt.timedelta(seconds=5)
    monkeypatch.setattr(timezone, "now", lambda: later)
    send_due()
    assert mail.outbox == []  # out_for_delivery is SMS-only; the older emails were superseded
    (text,) = sms.outbox
    assert "kommer i dag" in text.body
    superseded = updates(merchant_a, status="skipped", channel="sms").exclude(
        error__contains="settings"
    )
    assert superseded.count() == 1  # in_transit's SMS, superseded before it was due
    assert superseded.get().status_changes.last().reason == "superseded by out_for_delivery"


def test_an_update_overtaken_before_sending_is_skipped(api_a, merchant_a, annas_shipment, daytime):
    scan(api_a, annas_shipment, "in_transit", "2026-11-23T08:00:00Z")
    in_transit = updates(merchant_a).get(channel="email")
    # The worker picks it up only after the shipment moved on (and that update was sent).
    from orders.models import Shipment

    Shipment.objects.for_merchant(merchant_a).update(status="delivered")
    from notifications.sending import touchpoint_send

    assert touchpoint_send(touchpoint_id=in_transit.pk) == "skipped"
    assert mail.outbox == []


def test_sms_at_night_waits_for_the_morning(api_a, merchant_a, annas_shipment, monkeypatch):
    night = dt.datetime(2026, 11, 23, 22, 30, tzinfo=dt.UTC)  # 23:30 in Copenhagen
    monkeypatch.setattr(timezone, "now", lambda: night)
    scan(api_a, annas_shipment, "out_for_delivery", "2026-11-23T22:29:00Z")
    text = updates(merchant_a).get(channel="sms")
    assert text.status == "scheduled"
    assert text.due_at == dt.datetime(2026, 11, 24, 7, 0, tzinfo=dt.UTC)  # 08:00 local
    send_due()
    assert sms.outbox == []
    morning = dt.datetime(2026, 11, 24, 7, 0, 1, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: morning)
    send_due()
    assert len(sms.outbox) == 1


def test_a_retry_that_falls_in_quiet_hours_is_deferred_not_sent(
    api_a, merchant_a, annas_shipment, monkeypatch
):
    evening = dt.datetime(2026, 11, 23, 19, 59, tzinfo=dt.UTC)  # 20:59 local
    monkeypatch.setattr(timezone, "now", lambda: evening)
    scan(api_a, annas_shipment, "out_for_delivery", "2026-11-23T19:58:00Z")
    late = dt.datetime(2026, 11, 23, 20, 1, tzinfo=dt.UTC)  # 21:01 local: quiet now
    monkeypatch.setattr(timezone, "now", lambda: late)
    send_due()
    assert sms.outbox == []
    text = updates(merchant_a).get(channel="sms")
    assert text.status == "scheduled"
    assert text.due_at == dt.datetime(2026, 11, 24, 7, 0, tzinfo=dt.UTC)
    assert text.status_changes.last().reason == "quiet hours: deferred to the morning"


def test_quiet_hours_use_the_buyers_time_zone_first(merchant_a):
    from orders.models import Customer

    buyer_in_new_york = Customer(merchant=merchant_a, timezone="America/New_York")
    at = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)  # 21:00 in New York, 03:00 in Copenhagen
    assert quiet_until(merchant=merchant_a, customer=buyer_in_new_york, at=at) == dt.datetime(
        2026, 11, 24, 13, 0, tzinfo=dt.UTC
    )
    noon_ny = dt.datetime(2026, 11, 24, 17, 0, tzinfo=dt.UTC)
    assert quiet_until(merchant=merchant_a, customer=buyer_in_new_york, at=noon_ny) is None


def test_german_shipment_email_for_bergmann(api_b, merchant_b, daytime):
    order = place_order(api_b, "B-1", locale="de")
    send_due()
    mail.outbox.clear()
    shipment = ship(api_b, order["id"], estimated_delivery="2026-11-26")
    scan(api_b, shipment, "in_transit", "2026-11-23T08:00:00Z")
    send_due()
    (email,) = mail.outbox
    assert email.subject == "Ihre Bestellung #B-1 ist unterwegs"
    assert "Sie wird am 26. November 2026 erwartet." in email.body
    assert "Bergmann Möbel" in email.alternatives[0][0]


def test_a_second_failed_attempt_is_news_again(api_a, merchant_a, annas_shipment, daytime):
    scan(api_a, annas_shipment, "attempt_failed", "2026-11-23T08:00:00Z")
    send_due()
    scan(api_a, annas_shipment, "out_for_delivery", "2026-11-24T07:00:00Z")
    send_due()
    scan(api_a, annas_shipment, "attempt_failed", "2026-11-24T09:00:00Z")
    send_due()
    failed_attempt_emails = [m for m in mail.outbox if "Vi traf dig ikke hjemme" in m.subject]
    assert len(failed_attempt_emails) == 2
