"""WooCommerce webhooks: Jonas orders an armchair from Bergmann Möbel's WooCommerce shop."""

import json
import uuid

import pytest

from orders.integrations.models import InboundDelivery
from orders.integrations.services import integration_connect
from orders.models import Order, ShipmentEvent
from tests.integrations_helpers import apply_pending, b64_hmac, fixture

pytestmark = [pytest.mark.services, pytest.mark.django_db]

SECRET_B = "wc-secret-bergmann-7d1c0e"
SECRET_A = "wc-secret-nordic-living-aa11"


@pytest.fixture
def shop_b(merchant_b):
    return integration_connect(merchant=merchant_b, platform="woocommerce", secret=SECRET_B)


def post(
    client, topic, payload, *, slug="bergmann", secret=SECRET_B, signature=None, delivery_id=None
):
    body = json.dumps(payload).encode()
    resource, event = topic.split(".")
    headers = {
        "HTTP_X_WC_WEBHOOK_SOURCE": "https://bergmann.example/",
        "HTTP_X_WC_WEBHOOK_TOPIC": topic,
        "HTTP_X_WC_WEBHOOK_RESOURCE": resource,
        "HTTP_X_WC_WEBHOOK_EVENT": event,
        "HTTP_X_WC_WEBHOOK_ID": "12",
        "HTTP_X_WC_WEBHOOK_DELIVERY_ID": delivery_id or uuid.uuid4().hex,
    }
    if signature is not False:
        headers["HTTP_X_WC_WEBHOOK_SIGNATURE"] = (
            b64_hmac(secret, body) if signature is None else signature
        )
    return client.post(
        f"/integrations/woocommerce/{slug}/", body, content_type="application/json", **headers
    )


def test_ping_on_webhook_creation_is_answered_200_and_stores_nothing(client, merchant_b, shop_b):
    response = client.post(
        "/integrations/woocommerce/bergmann/",
        "webhook_id=12",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not InboundDelivery.objects.for_merchant(merchant_b).exists()


def test_order_created_makes_the_order(client, merchant_b, shop_b):
    assert post(client, "order.created", fixture("woocommerce", "order_created")).status_code == 200
    assert apply_pending() == ["done"]
    order = Order.objects.for_merchant(merchant_b).get(external_id="7311")
    assert (order.number, order.currency, str(order.total), order.locale) == (
        "#7311",
        "EUR",
        "1478.00",
        "de",
    )
    assert order.placed_at.isoformat() == "2026-11-20T13:31:09+00:00"
    assert (order.shipping_line1, order.shipping_line2, order.shipping_country) == (
        "Bergmannstraße 12",
        "Hinterhaus",
        "DE",
    )
    customer = order.customer
    assert (customer.email, customer.phone) == ("jonas.weber@example.de", "+493012345678")
    assert customer.consent_email and not customer.consent_sms
    item = order.items.get()
    assert (item.sku, item.quantity, str(item.unit_price)) == (
        "SESSEL-CLASSIC-COGNAC",
        1,
        "1200.00",
    )
    assert item.image_url.endswith("sessel-cognac.jpg")


@pytest.mark.parametrize("signature", [False, "", b64_hmac(SECRET_A, b"{}")])
def test_bad_or_missing_signature_is_401(client, merchant_b, shop_b, signature):
    response = post(
        client, "order.created", fixture("woocommerce", "order_created"), signature=signature
    )
    assert response.status_code == 401
    assert not InboundDelivery.objects.for_merchant(merchant_b).exists()


def test_merchant_a_secret_cannot_post_into_merchant_b(client, merchant_a, merchant_b, shop_b):
    integration_connect(merchant=merchant_a, platform="woocommerce", secret=SECRET_A)
    response = post(
        client, "order.created", fixture("woocommerce", "order_created"), secret=SECRET_A
    )
    assert response.status_code == 401
    assert not InboundDelivery.objects.for_merchant(merchant_b).exists()


def test_redelivery_is_applied_once(client, merchant_b, shop_b):
    payload = fixture("woocommerce", "order_created")
    post(client, "order.created", payload, delivery_id="d-1")
    assert post(client, "order.created", payload, delivery_id="d-1").json() == {
        "status": "duplicate"
    }
    post(client, "order.updated", payload)
    apply_pending()
    assert Order.objects.for_merchant(merchant_b).count() == 1
    order = Order.objects.for_merchant(merchant_b).get()
    assert order.touchpoints.filter(kind="congratulation").count() == 1


def test_cancelled_order_cancels_touchpoints_and_an_older_update_does_not_revive_it(
    client, merchant_b, shop_b
):
    post(client, "order.created", fixture("woocommerce", "order_created"))
    apply_pending()
    post(client, "order.updated", fixture("woocommerce", "order_cancelled"))
    apply_pending()
    post(client, "order.updated", fixture("woocommerce", "order_created"))  # late, older
    apply_pending()
    order = Order.objects.for_merchant(merchant_b).get()
    assert order.cancelled_at is not None
    assert set(order.touchpoints.values_list("status", flat=True)) <= {"cancelled", "skipped"}
    assert order.touchpoints.filter(status="cancelled").exists()


def test_unpaid_pending_order_is_not_a_purchase_yet(client, merchant_b, shop_b):
    payload = fixture("woocommerce", "order_created")
    payload["status"] = "pending"
    post(client, "order.created", payload)
    assert apply_pending() == ["ignored"]
    assert not Order.objects.for_merchant(merchant_b).exists()


def test_parcels_from_shipment_tracking_become_shipments_once(client, merchant_b, shop_b):
    post(client, "order.created", fixture("woocommerce", "order_created"))
    completed = fixture("woocommerce", "order_completed_tracked")
    post(client, "order.updated", completed)
    post(client, "order.updated", completed)  # WooCommerce repeats every parcel each time
    assert apply_pending() == ["done", "done", "done"]

    order = Order.objects.for_merchant(merchant_b).get()
    shipment = order.shipments.get()
    assert (shipment.carrier, shipment.tracking_number, shipment.status) == (
        "dhl-de",
        "00340434161094042557",
        "label_created",
    )
    event = shipment.events.get()
    assert event.occurred_at.isoformat() == "2026-11-21T08:00:00+00:00"
    # Jonas agreed to email only: one "shipped" email is on its way, once.
    updates = order.touchpoints.filter(kind="shipment_update")
    assert sorted(updates.values_list("channel", "status")) == [
        ("email", "scheduled"),
        ("sms", "skipped"),
    ]

    # A second parcel added later is a second shipment; the first is not repeated.
    later = fixture("woocommerce", "order_completed_tracked")
    later["date_modified_gmt"] = "2026-11-22T10:00:00"
    parcels = later["meta_data"][-1]["value"]
    parcels.append({**parcels[0], "tracking_number": "JJD0099", "tracking_id": "second"})
    post(client, "order.updated", later)
    apply_pending()
    assert sorted(order.shipments.values_list("tracking_number", flat=True)) == [
        "00340434161094042557",
        "JJD0099",
    ]
    assert ShipmentEvent.objects.for_merchant(merchant_b).count() == 2


def test_an_order_without_the_tracking_extension_has_no_shipments(client, merchant_b, shop_b):
    completed = fixture("woocommerce", "order_completed_tracked")
    completed["meta_data"] = completed["meta_data"][:-1]
    post(client, "order.created", completed)
    assert apply_pending() == ["done"]
    assert not Order.objects.for_merchant(merchant_b).get().shipments.exists()
