"""The progress bar and what goes with a parcel's state (#17.11): a label is not a
shipment, a pickup point is not a driver, a delivered parcel has a delivery date, and
a damaged or returned parcel is no moment to sell more.

Anna ordered a sofa from Nordic Living (merchant A) and follows it in English.
"""

import re

import pytest
from django.core import mail

from tests.notification_helpers import place_order, scan, send_due, ship
from tests.tracking_helpers import catalogue, order_in_state
from tracking.models import CrossSellRule

pytestmark = [pytest.mark.django_db]


def steps_of(client, order) -> list[tuple[str, str]]:
    """(label, state) of each step of the top card's progress bar."""
    html = client.get(f"/t/{order.tracking_token}/").content.decode()
    bar = html[html.index('class="steps"') :]
    bar = bar[: bar.index("</ol>")]
    found = re.findall(r'steps__step--(\w+)"[^>]*>.*?steps__label">([^<]+)<', bar, re.DOTALL)
    return [(label, state) for state, label in found]


def test_label_created_is_preparing_not_shipped(client, api_a):
    order = order_in_state(api_a, state="label_created", external_id="1701", locale="en")
    steps = dict(steps_of(client, order))
    assert steps["Preparing"] == "current"
    assert steps["Shipped"] == "upcoming"


def test_ready_for_pickup_is_its_own_step_and_ticks_no_driver(client, api_a):
    order = order_in_state(api_a, state="available_for_pickup", external_id="1702", locale="en")
    steps = steps_of(client, order)
    assert ("Ready for pickup", "current") in steps
    assert "Out for delivery" not in dict(steps)
    assert dict(steps)["Picked up"] == "upcoming"


def test_out_for_delivery_is_the_step_before_delivered(client, api_a):
    order = order_in_state(api_a, state="out_for_delivery", external_id="1703", locale="en")
    assert steps_of(client, order) == [
        ("Ordered", "done"),
        ("Packed", "done"),
        ("Shipped", "done"),
        ("Out for delivery", "current"),
        ("Delivered", "upcoming"),
    ]


def test_delivery_email_shows_the_delivery_date_not_the_old_estimate(api_a, merchant_a):
    order = place_order(api_a)
    send_due()
    mail.outbox.clear()
    shipment = ship(api_a, order["id"], estimated_delivery="2026-11-30")
    scan(api_a, shipment, "delivered", "2026-11-23T10:00:00Z")
    send_due()
    (email,) = mail.outbox
    assert "30. november 2026" not in email.body
    assert "Leveret: 23. november 2026" in email.body


@pytest.mark.parametrize("state", ["exception", "returned_to_sender", "attempt_failed"])
def test_no_cross_sell_on_a_parcel_in_trouble(client, api_a, merchant_a, state):
    products = catalogue(merchant_a)
    CrossSellRule.objects.create(
        merchant=merchant_a, kind="complement", trigger_sku="SOFA-1", product=products["CUSH-1"]
    )
    order = order_in_state(api_a, state=state, external_id="1704", locale="en")
    html = client.get(f"/t/{order.tracking_token}/").content.decode()
    assert "Picked for you" not in html
    assert "Wool cushion" not in html


def test_cross_sell_still_shows_while_a_parcel_travels(client, api_a, merchant_a):
    products = catalogue(merchant_a)
    CrossSellRule.objects.create(
        merchant=merchant_a, kind="complement", trigger_sku="SOFA-1", product=products["CUSH-1"]
    )
    order = order_in_state(api_a, state="in_transit", external_id="1705", locale="en")
    html = client.get(f"/t/{order.tracking_token}/").content.decode()
    assert "Wool cushion" in html
