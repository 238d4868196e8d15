"""The orders API: upsert, batch, shipments, events, errors and scoping."""

import pytest

from notifications.models import Touchpoint
from orders.models import Order, ShipmentEvent
from tests.conftest import make_payload

pytestmark = pytest.mark.django_db


def test_new_order_is_created_with_tracking_url_and_touchpoints(api_a, order_payload):
    response = api_a.post("/api/v1/orders/", order_payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["external_id"] == "1001"
    assert body["tracking_url"].startswith("http://testserver/t/")
    kinds = {(t["kind"], t["channel"]) for t in body["touchpoints"]}
    assert kinds == {("congratulation", "email"), ("followup_call", "call")}


def test_the_201_body_is_what_reading_the_order_back_gives(api_a, merchant_a, anders):
    """The new order's detail is answered from what was written, not read back: it must
    be exactly what GET returns, with the call skipped by the rules and the endorsement
    request planned in the same transaction."""
    from decimal import Decimal

    from followups.endorsements import ambassador_enroll
    from followups.models import CallSettings
    from orders.models import Customer

    CallSettings.objects.create(merchant=merchant_a, min_order_value=Decimal("5000"))
    maria = Customer.objects.create(
        merchant=merchant_a, email="maria@studio-k.dk", first_name="Maria", consent_email=True
    )
    ambassador_enroll(merchant=merchant_a, customer=maria, company="Studio K")
    payload = make_payload("read-back", placed_at="2026-11-20T11:00:00+01:00")
    payload["customer"]["email"] = "jonas@studio-k.dk"
    payload["items"] = [
        {**payload["items"][0], "sku": f"SKU-{n}", "name": f"Item {n}"} for n in (2, 1, 3)
    ]

    created = api_a.post("/api/v1/orders/", payload, format="json")

    assert created.status_code == 201
    body = created.json()
    assert body == api_a.get(f"/api/v1/orders/{body['id']}/").json()
    assert [(t["kind"], t["status"]) for t in body["touchpoints"]] == [
        ("congratulation", "scheduled"),
        ("endorsement_request", "scheduled"),
        ("followup_call", "skipped"),
    ]
    assert [i["sku"] for i in body["items"]] == ["SKU-2", "SKU-1", "SKU-3"]


def test_same_external_id_again_returns_same_order_without_second_congratulation(
    api_a, merchant_a, order_payload
):
    first = api_a.post("/api/v1/orders/", order_payload, format="json").json()
    order_payload["total"] = "1399.00"
    second = api_a.post("/api/v1/orders/", order_payload, format="json")
    assert second.status_code == 200
    assert second.json()["id"] == first["id"]
    assert second.json()["total"] == "1399.00"
    assert Order.objects.for_merchant(merchant_a).count() == 1
    assert Touchpoint.objects.for_merchant(merchant_a).filter(kind="congratulation").count() == 1


def test_invalid_order_is_400_with_field_messages_and_saves_nothing(
    api_a, merchant_a, order_payload
):
    order_payload["customer"]["phone"] = "12"
    order_payload["currency"] = "kroner"
    order_payload["items"][0]["quantity"] = 0
    response = api_a.post("/api/v1/orders/", order_payload, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "phone" in errors["customer"]
    assert "currency" in errors
    assert "quantity" in errors["items"]["0"]
    assert Order.objects.for_merchant(merchant_a).count() == 0


def test_batch_with_a_bad_order_keeps_the_good_ones(api_a, merchant_a):
    bad = make_payload("2")
    bad["total"] = "-5"
    response = api_a.post(
        "/api/v1/orders/batch/",
        {"orders": [make_payload("1"), bad, make_payload("3")]},
        format="json",
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 400, 201]
    assert "total" in results[1]["errors"]
    assert set(Order.objects.for_merchant(merchant_a).values_list("external_id", flat=True)) == {
        "1",
        "3",
    }


def test_missing_or_revoked_key_is_401(api_a, merchant_a, client):
    assert client.get("/api/v1/orders/").status_code == 401
    from postpurchase.models import ApiKey
    from postpurchase.services import api_key_revoke

    key = ApiKey.objects.for_merchant(merchant_a).get()
    api_key_revoke(merchant=merchant_a, key_id=key.pk)
    assert api_a.get("/api/v1/orders/").status_code == 401


def test_other_merchants_order_is_404(api_a, api_b, order_payload):
    order_id = api_a.post("/api/v1/orders/", order_payload, format="json").json()["id"]
    assert api_b.get(f"/api/v1/orders/{order_id}/").status_code == 404
    shipment = {"carrier": "gls", "tracking_number": "X1"}
    assert (
        api_b.post(f"/api/v1/orders/{order_id}/shipments/", shipment, format="json").status_code
        == 404
    )
    assert api_b.get("/api/v1/orders/").json()["count"] == 0


def _shipment(api, order_payload):
    order_id = api.post("/api/v1/orders/", order_payload, format="json").json()["id"]
    response = api.post(
        f"/api/v1/orders/{order_id}/shipments/",
        {"carrier": "gls", "tracking_number": "GLS123", "estimated_delivery": "2026-11-24"},
        format="json",
    )
    assert response.status_code == 201
    return order_id, response.json()["id"]


def test_out_of_order_events_keep_latest_status(api_a, merchant_a, order_payload):
    _, shipment_id = _shipment(api_a, order_payload)
    url = f"/api/v1/shipments/{shipment_id}/events/"
    api_a.post(url, {"status": "delivered", "occurred_at": "2026-11-23T12:00:00Z"}, format="json")
    late = api_a.post(
        url, {"status": "in_transit", "occurred_at": "2026-11-22T08:00:00Z"}, format="json"
    )
    assert late.status_code == 201
    assert late.json()["shipment_status"] == "delivered"
    assert ShipmentEvent.objects.for_merchant(merchant_a).count() == 2


def test_duplicate_event_changes_nothing_and_notifies_no_one(api_a, merchant_a, order_payload):
    _, shipment_id = _shipment(api_a, order_payload)
    url = f"/api/v1/shipments/{shipment_id}/events/"
    event = {"status": "in_transit", "occurred_at": "2026-11-22T08:00:00Z"}
    assert api_a.post(url, event, format="json").status_code == 201
    updates = Touchpoint.objects.for_merchant(merchant_a).filter(kind="shipment_update").count()
    again = api_a.post(url, event, format="json")
    assert again.status_code == 200
    assert ShipmentEvent.objects.for_merchant(merchant_a).count() == 1
    assert (
        Touchpoint.objects.for_merchant(merchant_a).filter(kind="shipment_update").count()
        == updates
        == 2
    )


def test_unscoped_query_on_tenant_model_is_refused(merchant_a):
    from postpurchase.tenancy import TenantScopeError

    with pytest.raises(TenantScopeError):
        Order.objects.filter(number="#1")
    assert Order.objects.for_merchant(merchant_a).count() == 0


def test_tracking_token_carries_at_least_128_random_bits_and_is_not_the_id(api_a, merchant_a):
    import base64

    from orders.models import new_tracking_token

    tokens = [new_tracking_token() for _ in range(2000)]
    assert len(set(tokens)) == len(tokens)
    for token in tokens[:50]:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert len(raw) * 8 >= 128
    body = api_a.post("/api/v1/orders/", make_payload("tok"), format="json").json()
    token = Order.objects.for_merchant(merchant_a).get(pk=body["id"]).tracking_token
    assert token != str(body["id"]) and not token.isdigit()
    assert body["tracking_url"].endswith(f"/t/{token}/")


def test_same_scan_in_another_time_zone_is_a_duplicate(api_a, merchant_a, order_payload):
    _, shipment_id = _shipment(api_a, order_payload)
    url = f"/api/v1/shipments/{shipment_id}/events/"
    first = {"status": "in_transit", "occurred_at": "2026-11-22T08:00:00Z"}
    same = {"status": "in_transit", "occurred_at": "2026-11-22T09:00:00+01:00"}
    assert api_a.post(url, first, format="json").status_code == 201
    assert api_a.post(url, same, format="json").status_code == 200
    assert ShipmentEvent.objects.for_merchant(merchant_a).count() == 1


def test_an_older_event_arriving_late_notifies_no_one(api_a, merchant_a, order_payload):
    _, shipment_id = _shipment(api_a, order_payload)
    url = f"/api/v1/shipments/{shipment_id}/events/"
    api_a.post(url, {"status": "delivered", "occurred_at": "2026-11-23T12:00:00Z"}, format="json")
    updates = Touchpoint.objects.for_merchant(merchant_a).filter(kind="shipment_update")
    before = set(updates.values_list("pk", flat=True))
    late = {"status": "out_for_delivery", "occurred_at": "2026-11-23T07:00:00Z"}
    assert api_a.post(url, late, format="json").json()["shipment_status"] == "delivered"
    assert set(updates.values_list("pk", flat=True)) == before


@pytest.mark.parametrize("whose", ["this shop", "every shop", "another shop"])
def test_a_buyer_who_opted_out_gets_no_congratulation(api_a, merchant_a, merchant_b, whose):
    from notifications.models import Suppression

    payload = make_payload("opted-out")
    payload["customer"]["email"] = "Opted.Out@Example.com"
    merchant = {"this shop": merchant_a, "every shop": None, "another shop": merchant_b}[whose]
    rows = Suppression.objects.platform_wide()
    if merchant is not None:
        rows = Suppression.objects.for_merchant(merchant)
    rows.create(
        merchant=merchant, channel="email", address="opted.out@example.com", reason="unsubscribed"
    )
    order_id = api_a.post("/api/v1/orders/", payload, format="json").json()["id"]
    congratulation = Touchpoint.objects.for_merchant(merchant_a).get(
        order_id=order_id, kind="congratulation"
    )
    assert congratulation.status == ("scheduled" if whose == "another shop" else "skipped")
