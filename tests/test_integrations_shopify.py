"""Shopify webhooks: Mette orders a sofa from Nordic Living's Shopify store.

Each fixture under tests/fixtures/shopify/ is posted as Shopify would post it,
signed with Nordic Living's secret, and applied as the worker would apply it.
"""

import json
import uuid

import pytest

from notifications.models import Touchpoint
from orders.integrations import shopify
from orders.integrations.models import InboundDelivery, Integration
from orders.integrations.services import integration_connect
from orders.models import Order, Shipment, ShipmentEvent
from tests.integrations_helpers import apply_pending, b64_hmac, fixture

pytestmark = [pytest.mark.services, pytest.mark.django_db]

SECRET_A = "shpss_nordic_living_0123456789abcdef"
SECRET_B = "shpss_bergmann_fedcba9876543210"
ORDER_ID = "5816744198327"


@pytest.fixture
def shop_a(merchant_a):
    return integration_connect(merchant=merchant_a, platform="shopify", secret=SECRET_A)


@pytest.fixture
def shop_b(merchant_b):
    return integration_connect(merchant=merchant_b, platform="shopify", secret=SECRET_B)


def post(
    client,
    topic,
    payload,
    *,
    slug="nordic-living",
    secret=SECRET_A,
    webhook_id=None,
    event_id=None,
    signature=None,
):
    body = json.dumps(payload).encode()
    headers = {
        "HTTP_X_SHOPIFY_TOPIC": topic,
        "HTTP_X_SHOPIFY_WEBHOOK_ID": webhook_id or str(uuid.uuid4()),
        "HTTP_X_SHOPIFY_SHOP_DOMAIN": "nordic-living.myshopify.com",
        "HTTP_X_SHOPIFY_API_VERSION": "2026-10",
        "HTTP_X_SHOPIFY_TRIGGERED_AT": payload.get("updated_at", ""),
    }
    if event_id:
        headers["HTTP_X_SHOPIFY_EVENT_ID"] = event_id
    if signature is not False:
        headers["HTTP_X_SHOPIFY_HMAC_SHA256"] = (
            b64_hmac(secret, body) if signature is None else signature
        )
    return client.post(
        f"/integrations/shopify/{slug}/", body, content_type="application/json", **headers
    )


def mette_order(merchant):
    return Order.objects.for_merchant(merchant).get(external_id=ORDER_ID)


def test_order_create_makes_the_order_with_customer_consent_items_and_address(
    client, merchant_a, shop_a
):
    response = post(client, "orders/create", fixture("shopify", "orders_create"))
    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}
    assert apply_pending() == ["done"]

    order = mette_order(merchant_a)
    assert order.number == "#1042"
    assert str(order.total) == "8094.00"
    assert order.currency == "DKK"
    assert order.locale == "da"
    assert (order.shipping_line1, order.shipping_city, order.shipping_country) == (
        "Vestergade 21",
        "Aarhus C",
        "DK",
    )
    customer = order.customer
    assert (customer.email, customer.phone) == ("mette.larsen@example.com", "+4520123456")
    assert customer.consent_email and customer.consent_sms
    assert [(i.sku, i.quantity, str(i.unit_price)) for i in order.items.all()] == [
        ("SOFA-HYGGE-3-SAND", 1, "6995.00"),
        ("CUSHION-FJORD-MOSS", 2, "500.00"),
    ]
    kinds = sorted(order.touchpoints.values_list("kind", "status"))
    assert kinds == [("congratulation", "scheduled"), ("followup_call", "scheduled")]


def test_no_marketing_consent_means_no_email_or_sms(client, merchant_a, shop_a):
    payload = fixture("shopify", "orders_create")
    payload["buyer_accepts_marketing"] = False
    payload["customer"]["email_marketing_consent"]["state"] = "not_subscribed"
    payload["customer"]["sms_marketing_consent"] = None
    post(client, "orders/create", payload)
    apply_pending()
    order = mette_order(merchant_a)
    assert not order.customer.consent_email
    assert not order.customer.consent_sms
    assert order.touchpoints.get(kind="congratulation").status == "skipped"


@pytest.mark.parametrize(
    "signature",
    [False, "", "not-base64!", b64_hmac("wrong-secret-123", b"{}"), b64_hmac(SECRET_B, b"x")],
    ids=["missing", "empty", "garbage", "wrong-secret", "other-body"],
)
def test_bad_or_missing_signature_is_401_and_changes_nothing(client, merchant_a, shop_a, signature):
    response = post(
        client, "orders/create", fixture("shopify", "orders_create"), signature=signature
    )
    assert response.status_code == 401
    assert not InboundDelivery.objects.for_merchant(merchant_a).exists()
    assert not Order.objects.for_merchant(merchant_a).exists()


def test_merchant_b_secret_cannot_post_into_merchant_a(
    client, merchant_a, merchant_b, shop_a, shop_b
):
    response = post(client, "orders/create", fixture("shopify", "orders_create"), secret=SECRET_B)
    assert response.status_code == 401
    assert not InboundDelivery.objects.for_merchant(merchant_a).exists()
    # Signed with B's secret on B's own URL, it lands at B only.
    assert (
        post(
            client,
            "orders/create",
            fixture("shopify", "orders_create"),
            slug="bergmann",
            secret=SECRET_B,
        ).status_code
        == 200
    )
    apply_pending()
    assert Order.objects.for_merchant(merchant_b).filter(external_id=ORDER_ID).exists()
    assert not Order.objects.for_merchant(merchant_a).exists()


def test_unknown_merchant_or_unconnected_platform_is_401(client, merchant_a):
    assert post(client, "orders/create", {"id": 1}, slug="nobody").status_code == 401
    assert post(client, "orders/create", {"id": 1}).status_code == 401


def test_secret_is_stored_encrypted_and_never_in_repr(merchant_a, shop_a):
    stored = Integration.objects.for_merchant(merchant_a).get()
    assert SECRET_A not in stored.secret_encrypted
    assert stored.secret == SECRET_A
    assert SECRET_A not in repr(stored) and SECRET_A not in str(stored)


def test_redelivery_with_same_webhook_id_is_stored_and_applied_once(client, merchant_a, shop_a):
    payload = fixture("shopify", "orders_create")
    first = post(client, "orders/create", payload, webhook_id="wh-1")
    again = post(client, "orders/create", payload, webhook_id="wh-1")
    assert again.status_code == 200 and again.json() == {"status": "duplicate"}
    assert first.json() == {"status": "accepted"}
    apply_pending()
    post(client, "orders/create", payload, webhook_id="wh-1")
    assert apply_pending() == []
    assert InboundDelivery.objects.for_merchant(merchant_a).count() == 1
    assert Order.objects.for_merchant(merchant_a).count() == 1
    assert mette_order(merchant_a).touchpoints.filter(kind="congratulation").count() == 1


def test_same_event_id_from_a_second_subscription_is_stored_once(client, merchant_a, shop_a):
    payload = fixture("shopify", "orders_create")
    post(client, "orders/create", payload, event_id="evt-77")
    response = post(client, "orders/create", payload, event_id="evt-77")
    assert response.json() == {"status": "duplicate"}
    assert InboundDelivery.objects.for_merchant(merchant_a).count() == 1


def test_replaying_every_fixture_twice_changes_nothing_the_second_time(client, merchant_a, shop_a):
    topics = [
        ("orders/create", "orders_create"),
        ("orders/updated", "orders_updated"),
        ("fulfillments/create", "fulfillments_create"),
        ("fulfillments/update", "fulfillments_update"),
    ]
    for topic, name in topics:
        post(client, topic, fixture("shopify", name))
    apply_pending()

    def snapshot():
        order = mette_order(merchant_a)
        return (
            order.shipping_line1,
            list(order.touchpoints.values_list("kind", "channel", "status", "cause")),
            list(
                ShipmentEvent.objects.for_merchant(merchant_a).values_list("status", "occurred_at")
            ),
            list(
                Shipment.objects.for_merchant(merchant_a).values_list("status", "tracking_number")
            ),
        )

    before = snapshot()
    # Shopify retries with a new delivery? No: same X-Shopify-Webhook-Id is a redelivery;
    # here we go further and replay as *new* deliveries: the content still applies once.
    for topic, name in topics:
        post(client, topic, fixture("shopify", name))
    apply_pending()
    assert snapshot() == before


def test_older_update_arriving_late_never_overwrites_newer(client, merchant_a, shop_a):
    post(client, "orders/updated", fixture("shopify", "orders_updated"))
    post(client, "orders/create", fixture("shopify", "orders_create"))
    # Apply in arrival order: the newer update first, then the older create.
    for delivery in InboundDelivery.objects.for_merchant(merchant_a).order_by("id"):
        from orders.integrations.services import inbound_delivery_process

        inbound_delivery_process(delivery_id=delivery.pk)
    order = mette_order(merchant_a)
    assert order.shipping_line1 == "Mejlgade 8"
    statuses = dict(InboundDelivery.objects.for_merchant(merchant_a).values_list("topic", "status"))
    assert statuses == {"orders/updated": "done", "orders/create": "ignored"}
    assert order.touchpoints.filter(kind="congratulation").count() == 1


def test_fulfillment_before_its_order_waits_then_applies_when_the_order_arrives(
    client, merchant_a, shop_a
):
    post(client, "fulfillments/update", fixture("shopify", "fulfillments_update"))
    post(client, "fulfillments/create", fixture("shopify", "fulfillments_create"))
    apply_pending()
    assert set(
        InboundDelivery.objects.for_merchant(merchant_a).values_list("status", flat=True)
    ) == {"waiting"}
    assert not Shipment.objects.for_merchant(merchant_a).exists()

    post(client, "orders/create", fixture("shopify", "orders_create"))
    apply_pending()

    shipment = Shipment.objects.for_merchant(merchant_a).get()
    assert shipment.order == mette_order(merchant_a)
    assert (shipment.carrier, shipment.tracking_number) == ("GLS", "00340434161094042557")
    assert shipment.status == "in_transit"
    assert list(shipment.items.values_list("line_item__sku", "quantity")) == [
        ("SOFA-HYGGE-3-SAND", 1)
    ]
    assert sorted(shipment.events.values_list("status", flat=True)) == [
        "in_transit",
        "label_created",
    ]
    assert set(
        InboundDelivery.objects.for_merchant(merchant_a).values_list("status", flat=True)
    ) == {"done"}
    updates = Touchpoint.objects.for_merchant(merchant_a).filter(kind="shipment_update")
    assert {(t.channel, t.payload["status"]) for t in updates} >= {
        ("email", "in_transit"),
        ("sms", "in_transit"),
    }


def test_fulfillment_update_moves_the_shipment_and_notifies_once(client, merchant_a, shop_a):
    post(client, "orders/create", fixture("shopify", "orders_create"))
    post(client, "fulfillments/create", fixture("shopify", "fulfillments_create"))
    apply_pending()
    shipment = Shipment.objects.for_merchant(merchant_a).get()
    assert shipment.status == "label_created"

    update = fixture("shopify", "fulfillments_update")
    update["shipment_status"] = "delivered"
    update["updated_at"] = "2026-11-22T10:00:00+01:00"
    post(client, "fulfillments/update", update)
    post(client, "fulfillments/update", update)
    apply_pending()
    shipment.refresh_from_db()
    assert shipment.status == "delivered"
    delivered = Touchpoint.objects.for_merchant(merchant_a).filter(
        kind="shipment_update", payload__status="delivered"
    )
    assert sorted(delivered.values_list("channel", flat=True)) == ["email", "sms"]

    # The older in-transit news arrives late: it joins the timeline, the status stays.
    post(client, "fulfillments/update", fixture("shopify", "fulfillments_update"))
    apply_pending()
    shipment.refresh_from_db()
    assert shipment.status == "delivered"
    assert shipment.events.filter(status="in_transit").exists()


def test_cancelled_order_cancels_pending_touchpoints(client, merchant_a, shop_a):
    post(client, "orders/create", fixture("shopify", "orders_create"))
    apply_pending()
    order = mette_order(merchant_a)
    Touchpoint.objects.for_merchant(merchant_a).filter(order=order, kind="congratulation").update(
        status="sent"
    )

    post(client, "orders/cancelled", fixture("shopify", "orders_cancelled"))
    apply_pending()
    order.refresh_from_db()
    assert order.cancelled_at is not None
    assert dict(order.touchpoints.values_list("kind", "status")) == {
        "congratulation": "sent",  # already sent: history stays true
        "followup_call": "cancelled",
    }


def test_cancellation_arriving_before_the_create_still_cancels(client, merchant_a, shop_a):
    post(client, "orders/cancelled", fixture("shopify", "orders_cancelled"))
    apply_pending()
    post(client, "orders/create", fixture("shopify", "orders_create"))
    apply_pending()
    order = mette_order(merchant_a)
    assert order.cancelled_at is not None
    assert set(order.touchpoints.values_list("status", flat=True)) == {"cancelled"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("label_printed", "label_created"),
        ("label_purchased", "label_created"),
        ("confirmed", "label_created"),
        ("in_transit", "in_transit"),
        ("out_for_delivery", "out_for_delivery"),
        ("attempted_delivery", "attempt_failed"),
        ("ready_for_pickup", "available_for_pickup"),
        ("delivered", "delivered"),
        ("failure", "exception"),
    ],
)
def test_each_shopify_shipment_status_maps_to_ours(raw, expected):
    payload = fixture("shopify", "fulfillments_update")
    payload["shipment_status"] = raw
    update = shopify.fulfillment_update(payload)
    assert update.status == expected
    assert update.raw_status == raw


def test_unknown_shipment_status_is_kept_raw_and_moves_nothing(client, merchant_a, shop_a):
    post(client, "orders/create", fixture("shopify", "orders_create"))
    post(client, "fulfillments/update", fixture("shopify", "fulfillments_update"))
    apply_pending()
    odd = fixture("shopify", "fulfillments_update")
    odd["shipment_status"] = "teleported"
    odd["updated_at"] = "2026-11-22T08:00:00+01:00"
    post(client, "fulfillments/update", odd)
    apply_pending()
    shipment = Shipment.objects.for_merchant(merchant_a).get()
    assert shipment.status == "in_transit"
    event = shipment.events.get(raw_status="teleported")
    assert event.status == "in_transit"


def test_unreadable_payload_is_kept_as_dead_not_retried(client, merchant_a, shop_a):
    payload = fixture("shopify", "orders_create")
    payload["currency"] = "kroner"
    post(client, "orders/create", payload)
    assert apply_pending() == ["dead"]
    delivery = InboundDelivery.objects.for_merchant(merchant_a).get()
    assert "currency" in delivery.error
    assert not Order.objects.for_merchant(merchant_a).exists()


def test_unsubscribed_topic_is_acknowledged_and_not_stored(client, merchant_a, shop_a):
    response = post(client, "products/update", {"id": 1, "updated_at": "2026-11-20T10:00:00Z"})
    assert response.status_code == 200
    assert not InboundDelivery.objects.for_merchant(merchant_a).exists()


@pytest.mark.django_db(transaction=True)
def test_worker_applies_the_delivery_right_after_commit(client, merchant_a, shop_a, tmp_path):
    from tests.processes import celery_worker, wait_for

    with celery_worker(tmp_path / "worker.log"):
        assert post(client, "orders/create", fixture("shopify", "orders_create")).status_code == 200
        wait_for(
            lambda: Order.objects.for_merchant(merchant_a).filter(external_id=ORDER_ID).exists()
        )
    delivery = InboundDelivery.objects.for_merchant(merchant_a).get()
    assert (delivery.status, delivery.attempts) == ("done", 1)


def test_broker_down_loses_nothing_the_dispatcher_applies_it(
    client, merchant_a, shop_a, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from orders.integrations import tasks

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis. Connection refused.")

    monkeypatch.setattr(tasks.process_inbound_delivery, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "orders/create", fixture("shopify", "orders_create"))
    assert response.status_code == 200
    assert InboundDelivery.objects.for_merchant(merchant_a).get().status == "pending"
    apply_pending()
    assert mette_order(merchant_a).number == "#1042"


def test_incoming_webhooks_screen_shows_addresses_and_deliveries(client, alice, merchant_a, shop_a):
    post(client, "orders/create", fixture("shopify", "orders_create"))
    client.force_login(alice)
    page = client.get("/dashboard/integrations/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "http://testserver/integrations/shopify/nordic-living/" in html
    assert "orders/create" in html
    assert SECRET_A not in html


def test_bob_sees_only_his_own_deliveries_and_connections(client, bob, merchant_a, shop_a):
    post(client, "orders/create", fixture("shopify", "orders_create"))
    client.force_login(bob)
    html = client.get("/dashboard/integrations/").content.decode()
    assert "orders/create" not in html
    assert "nordic-living" not in html
    assert "not connected" in html


def test_fulfillments_embedded_in_an_order_update_become_shipments_once(client, merchant_a, shop_a):
    post(client, "orders/create", fixture("shopify", "orders_create"))
    updated = fixture("shopify", "orders_updated")
    fulfillment = fixture("shopify", "fulfillments_update")
    fulfillment["estimated_delivery_at"] = "2026-11-24T18:00:00+01:00"
    updated["fulfillments"] = [fulfillment]
    post(client, "orders/updated", updated)
    post(client, "fulfillments/update", fixture("shopify", "fulfillments_update"))
    apply_pending()
    shipment = Shipment.objects.for_merchant(merchant_a).get()
    assert shipment.status == "in_transit"
    assert str(shipment.estimated_delivery) == "2026-11-24"
    assert shipment.events.count() == 1


@pytest.mark.django_db(transaction=False)
def test_a_sent_congratulation_reaches_the_merchants_webhook(client, merchant_a, shop_a, settings):
    from notifications.sending import touchpoint_send
    from notifications.webhooks_out.models import WebhookDelivery
    from notifications.webhooks_out.services import webhook_endpoint_create

    webhook_endpoint_create(
        merchant=merchant_a, url="http://127.0.0.1:9/hooks", events=["touchpoint.sent"]
    )
    post(client, "orders/create", fixture("shopify", "orders_create"))
    apply_pending()
    congratulation = mette_order(merchant_a).touchpoints.get(kind="congratulation")
    touchpoint_send(touchpoint_id=congratulation.pk)
    delivery = WebhookDelivery.objects.for_merchant(merchant_a).get()
    assert delivery.event == "touchpoint.sent"
    assert delivery.payload["data"]["touchpoint_id"] == congratulation.pk
