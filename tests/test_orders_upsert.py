"""Upsert by external_id and batch ingest: idempotent, per-order verdicts, no needless writes."""

import threading

import pytest
from django.db import connection

from notifications.models import Touchpoint
from orders import services
from orders.models import Customer, LineItem, Order, Shipment
from orders.serializers import OrderInput
from tests.conftest import make_payload

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def _post(api, payload):
    response = api.post("/api/v1/orders/", payload, format="json")
    assert response.status_code in (200, 201), response.content
    return response


def test_reposting_the_same_order_rewrites_nothing(api_a, merchant_a, order_payload):
    order_id = _post(api_a, order_payload).json()["id"]
    order = Order.objects.for_merchant(merchant_a).get(pk=order_id)
    lines = list(LineItem.objects.filter(order=order).values_list("pk", "name"))
    shipment = api_a.post(
        f"/api/v1/orders/{order_id}/shipments/",
        {"carrier": "GLS", "tracking_number": "GLS1", "items": [{"sku": "SOFA-1"}]},
        format="json",
    ).json()
    assert _post(api_a, order_payload).status_code == 200
    order_after = Order.objects.for_merchant(merchant_a).get(pk=order_id)
    assert order_after.updated_at == order.updated_at
    assert list(LineItem.objects.filter(order=order).values_list("pk", "name")) == lines
    # The shipment still knows which line it carries.
    assert Shipment.objects.for_merchant(merchant_a).get(pk=shipment["id"]).items.count() == 1


def test_reposting_through_the_batch_keeps_line_items_and_their_shipments(
    api_a, merchant_a, order_payload
):
    order_id = _post(api_a, order_payload).json()["id"]
    line_ids = list(LineItem.objects.filter(order_id=order_id).values_list("pk", flat=True))
    api_a.post(
        f"/api/v1/orders/{order_id}/shipments/",
        {"carrier": "GLS", "tracking_number": "GLS1", "items": [{"sku": "SOFA-1"}]},
        format="json",
    )
    order_payload["items"][0]["quantity"] = 2
    response = api_a.post("/api/v1/orders/batch/", {"orders": [order_payload]}, format="json")
    assert response.json()["results"][0]["status"] == 200
    assert list(LineItem.objects.filter(order_id=order_id).values_list("pk", flat=True)) == line_ids
    assert LineItem.objects.get(pk=line_ids[0]).quantity == 2
    assert Shipment.objects.for_merchant(merchant_a).get().items.count() == 1


def test_changed_items_are_updated_in_place_added_and_removed(api_a, merchant_a, order_payload):
    order_payload["items"].append(
        {"sku": "LAMP-1", "name": "Lys pendant", "quantity": 1, "unit_price": "899.00"}
    )
    order_id = _post(api_a, order_payload).json()["id"]
    sofa = LineItem.objects.get(order_id=order_id, sku="SOFA-1")
    order_payload["items"] = [
        {"sku": "SOFA-1", "name": "Sofa Hygge 3-seater", "quantity": 2, "unit_price": "1299.00"},
        {"sku": "RUG-1", "name": "Klit rug", "quantity": 1, "unit_price": "499.00"},
    ]
    body = _post(api_a, order_payload).json()
    assert [(i["sku"], i["quantity"]) for i in body["items"]] == [("SOFA-1", 2), ("RUG-1", 1)]
    assert LineItem.objects.get(order_id=order_id, sku="SOFA-1").pk == sofa.pk
    assert not LineItem.objects.filter(order_id=order_id, sku="LAMP-1").exists()


def test_a_returning_customer_is_found_again_by_email(api_a, merchant_a):
    _post(api_a, make_payload("1"))
    second = make_payload("2")
    second["customer"]["email"] = "ANNA@example.com"
    _post(api_a, second)
    assert Customer.objects.for_merchant(merchant_a).count() == 1
    assert Order.objects.for_merchant(merchant_a).count() == 2


def test_a_buyer_without_email_is_found_again_by_phone_never_one_with_email(api_a, merchant_a):
    with_email = make_payload("1")  # anna@example.com, with a phone
    by_phone = make_payload("2")
    by_phone["customer"] = {"phone": with_email["customer"]["phone"], "first_name": "Mette"}
    again_by_phone = make_payload("3")
    again_by_phone["customer"] = {"phone": with_email["customer"]["phone"], "last_name": "Lund"}
    ids = [_post(api_a, p).json()["id"] for p in (with_email, by_phone, again_by_phone)]
    buyers = [Order.objects.for_merchant(merchant_a).get(pk=pk).customer for pk in ids]
    assert buyers[0].email == "anna@example.com"
    assert buyers[1] != buyers[0]  # Anna has an email: a phone alone is not her
    assert buyers[2] == buyers[1]
    assert (buyers[2].first_name, buyers[2].last_name) == ("Mette", "Lund")


def test_same_external_id_at_another_merchant_is_their_own_order(
    api_a, api_b, merchant_a, merchant_b, order_payload
):
    a = _post(api_a, order_payload).json()
    order_payload["total"] = "1.00"
    b = api_b.post("/api/v1/orders/", order_payload, format="json")
    assert b.status_code == 201
    assert b.json()["id"] != a["id"]
    assert Order.objects.for_merchant(merchant_a).get().total == 1299
    assert Order.objects.for_merchant(merchant_b).get().total == 1


def test_batch_reports_each_order_in_input_order(api_a, merchant_a):
    bad_total = make_payload("b2", total="-5")
    not_an_object = "order #3"
    missing_items = make_payload("b4")
    del missing_items["items"]
    orders = [
        make_payload("b1"),
        bad_total,
        not_an_object,
        missing_items,
        make_payload("b5"),
        make_payload("b1", total="10.00"),  # the same order again, later in the batch
    ]
    response = api_a.post("/api/v1/orders/batch/", {"orders": orders}, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(6))
    assert [r["status"] for r in results] == [201, 400, 400, 400, 201, 200]
    assert "total" in results[1]["errors"]
    assert results[2]["errors"]
    assert "items" in results[3]["errors"]
    assert results[5]["id"] == results[0]["id"]
    assert results[0]["tracking_url"].startswith("http://testserver/t/")
    assert set(Order.objects.for_merchant(merchant_a).values_list("external_id", flat=True)) == {
        "b1",
        "b5",
    }
    assert Order.objects.for_merchant(merchant_a).get(external_id="b1").total == 10
    congratulations = Touchpoint.objects.for_merchant(merchant_a).filter(kind="congratulation")
    assert congratulations.count() == 2


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_creates_of_one_external_id_make_one_order(merchant_a, monkeypatch):
    """Both requests read "no such order" before either writes: the loser retries as an update."""
    assert connection.vendor == "postgresql"
    data = OrderInput(data=make_payload("race-1"))
    data.is_valid(raise_exception=True)
    both_read = threading.Barrier(2, timeout=10)
    first_call = threading.local()
    real_customer_upsert = services._customer_upsert

    def customer_upsert_after_both_read(**kwargs):
        # Called after the order lookup found nothing and before the order is inserted.
        if not getattr(first_call, "done", False):
            first_call.done = True
            both_read.wait()
        return real_customer_upsert(**kwargs)

    monkeypatch.setattr(services, "_customer_upsert", customer_upsert_after_both_read)
    results, errors = [], []

    def upsert():
        try:
            results.append(services.order_upsert(merchant=merchant_a, data=data.validated_data))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=upsert) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(r.created for r in results) == [False, True]
    assert results[0].order.pk == results[1].order.pk
    assert Order.objects.for_merchant(merchant_a).count() == 1
    assert LineItem.objects.filter(order=results[0].order).count() == 1
    assert Touchpoint.objects.for_merchant(merchant_a).filter(kind="congratulation").count() == 1
