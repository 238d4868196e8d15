"""Anna's delivery failed: she tells Nordic Living how to get her sofa to her, and the shop hears.

The page is /t/<token>/delivery/ (linked from the tracking page while a parcel waits for
her); the answer reaches the merchant as a dashboard row, a `delivery.instruction`
webhook and an email to the owners, and raises the follow-up call's risk.
"""

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from followups import risk
from notifications.webhooks_out.models import WebhookDelivery
from notifications.webhooks_out.services import webhook_endpoint_create
from orders.models import Order
from orders.services import shipment_event_record
from tests.dashboard_world import place_order, ship
from tests.followups_factories import call_of, make_due_now
from tracking.delivery.models import DeliveryInstruction

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def missed(merchant_a):
    """Anna's order whose parcel the driver could not hand over."""
    order = place_order(merchant_a, "1042")
    ship(merchant_a, order, "label_created", "in_transit", "attempt_failed")
    return order


def page(order) -> str:
    return f"/t/{order.tracking_token}/delivery/"


def tomorrow(order) -> str:
    return (timezone.localdate(timezone=order.merchant.tzinfo) + dt.timedelta(days=1)).isoformat()


def answer(order, **overrides):
    data = {
        "choice": "redeliver",
        "delivery_date": tomorrow(order),
        "address_line1": "Nørregade 12, 2. th",
        "postal_code": "8000",
        "city": "Aarhus",
        "phone": "+4520123456",
        "note": "",
    }
    data.update(overrides)
    return Client().post(f"{page(order)}?lang=en", data)


def test_the_tracking_page_links_a_missed_parcel_to_its_answer_page(client, missed):
    html = client.get(f"/t/{missed.tracking_token}/").content.decode()
    assert f'href="/t/{missed.tracking_token}/delivery/?lang=' in html


def test_a_parcel_on_its_way_has_no_answer_link(client, merchant_a):
    order = place_order(merchant_a, "1043")
    ship(merchant_a, order, "label_created", "in_transit")
    assert "/delivery/" not in client.get(f"/t/{order.tracking_token}/").content.decode()


def test_the_page_starts_from_the_address_and_phone_of_the_order(client, missed):
    html = client.get(page(missed)).content.decode()
    assert 'value="+4520123456"' in html
    assert "Nordic Living" in html  # the merchant's branding


def test_a_new_day_is_stored_with_the_corrected_address(missed):
    response = answer(missed)
    assert response.status_code == 302 and "answered=1" in response["Location"]
    stored = DeliveryInstruction.objects.for_merchant(missed.merchant).get()
    assert (stored.choice, stored.delivery_date.isoformat(), stored.city) == (
        "redeliver",
        tomorrow(missed),
        "Aarhus",
    )
    assert stored.shipment_status == "attempt_failed"


def test_the_answer_goes_out_as_a_webhook(merchant_a, missed):
    webhook_endpoint_create(
        merchant=merchant_a, url="http://127.0.0.1:9/hook", events=["delivery.instruction"]
    )
    answer(missed, choice="pickup", delivery_date="")
    event = WebhookDelivery.objects.for_merchant(merchant_a).get()
    assert event.event == "delivery.instruction"
    assert event.payload["data"]["choice"] == "pickup"
    assert event.payload["data"]["order_number"] == "#1042"


def test_the_owner_gets_an_email_in_the_shops_language(
    merchant_a, missed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer(missed, choice="instruction", delivery_date="", note="Ring på hos naboen nr. 14")
    (email,) = mail.outbox
    assert email.to == ["alice@nordic.example"]
    assert "#1042" in email.subject
    assert "Ring på hos naboen nr. 14" in email.body


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"delivery_date": ""}, "Choose the day we should try again."),
        ({"delivery_date": "2020-01-01"}, "Choose a day from tomorrow to 14 days ahead."),
        ({"choice": "instruction", "note": ""}, "Write the instruction for the driver."),
        ({"phone": "not a phone"}, "international format"),
        ({"choice": "teleport"}, "Select a valid choice."),
        ({"city": ""}, "This field is required."),
    ],
)
def test_a_bad_answer_is_400_with_the_reason_and_nothing_is_stored(missed, overrides, field):
    response = answer(missed, **overrides)
    assert response.status_code == 400
    assert field in response.content.decode()
    assert not DeliveryInstruction.objects.for_merchant(missed.merchant).exists()


def test_nothing_is_stored_once_the_parcel_is_delivered(missed):
    shipment = missed.shipments.get()
    shipment_event_record(
        merchant=missed.merchant,
        shipment=shipment,
        data={"status": "delivered", "occurred_at": timezone.now()},
    )
    response = answer(missed)
    assert response.status_code == 200
    assert not DeliveryInstruction.objects.for_merchant(missed.merchant).exists()


def test_an_unknown_token_is_404(client):
    assert client.get("/t/not-a-token/delivery/").status_code == 404


def test_the_answer_raises_the_follow_up_calls_risk(merchant_a, missed, anders):
    from followups.selectors import call_queue

    make_due_now(call_of(missed))
    answer(missed, choice="pickup", delivery_date="")
    entry = next(e for e in call_queue(merchant=merchant_a) if e.order.pk == missed.pk)
    assert "Answered a failed delivery" in entry.risk.reasons
    assert entry.risk.score >= risk.WEIGHT_DELIVERY_ANSWER + risk.WEIGHT_SHIPMENT_PROBLEM


def test_the_merchant_sees_the_answer_in_the_dashboard(alice, missed):
    answer(missed, choice="instruction", delivery_date="", note="Ring hos naboen")
    client = Client()
    client.force_login(alice)
    html = client.get("/dashboard/deliveries/").content.decode()
    assert "#1042" in html and "Ring hos naboen" in html


def test_merchant_b_sees_none_of_merchant_a_answers(bob, missed):
    answer(missed, choice="instruction", delivery_date="", note="Ring hos naboen")
    client = Client()
    client.force_login(bob)
    html = client.get("/dashboard/deliveries/").content.decode()
    assert "Ring hos naboen" not in html and "#1042" not in html


def test_metrics_count_answers_and_what_became_of_the_answered_parcels(merchant_a, alice):
    from dashboard import metrics

    def failed_parcel(number, *end):
        order = place_order(merchant_a, number)
        ship(merchant_a, order, "label_created", "attempt_failed", *end)
        return order

    answered_delivered = failed_parcel("1", "delivered")
    answered_returned = failed_parcel("2", "returned_to_sender")
    failed_parcel("3")  # nobody answered
    place_order(merchant_a, "4")  # never failed: not counted
    for order in (answered_delivered, answered_returned):
        from tracking.delivery.services import delivery_instruction_record

        delivery_instruction_record(
            merchant=merchant_a,
            order=order,
            shipment=order.shipments.get(),
            data={"choice": "pickup"},
        )
    period = metrics.period_last_days(merchant=merchant_a, days=30, now=timezone.now())
    for order in Order.objects.for_merchant(merchant_a):
        order.placed_at = timezone.now() - dt.timedelta(days=1)
        order.save(update_fields=["placed_at"])
    row = metrics.failed_deliveries(merchant=merchant_a, period=period)
    assert (
        row["failed"],
        row["answered"],
        row["answered_delivered"],
        row["answered_returned"],
    ) == (
        3,
        2,
        1,
        1,
    )
    assert (row["answer_rate"], row["saved_rate"]) == (0.6667, 0.5)
    client = Client()
    client.force_login(alice)
    html = client.get("/dashboard/metrics/?lang=en").content.decode()
    assert "data-failed-deliveries" in html and "66.7" in html


def test_the_missed_delivery_email_button_opens_the_answer_page(merchant_a):
    from notifications.messages import build_email
    from notifications.models import Touchpoint

    order = place_order(merchant_a, "1050")
    ship(merchant_a, order, "label_created", "attempt_failed")
    touchpoint = Touchpoint.objects.for_merchant(merchant_a).get(
        kind="shipment_update", channel="email", payload__status="attempt_failed"
    )
    email = build_email(touchpoint)
    assert f'href="{order.tracking_url}delivery/"' in email.html
    assert f"{order.tracking_url}delivery/" in email.text
