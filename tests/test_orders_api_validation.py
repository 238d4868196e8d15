"""Every way an order, shipment or event payload can be wrong: 400, field messages, nothing written.

Each case names the field path the merchant's developer must see in
`{"errors": {...}}`, so a message that lands on the wrong field fails too.
"""

import json

import pytest

from notifications.models import Touchpoint
from orders.models import Customer, LineItem, Order, Shipment, ShipmentEvent, ShipmentItem

pytestmark = pytest.mark.django_db


def _without(key):
    return lambda p: p.pop(key)


def _set(path, value):
    def change(payload):
        target = payload
        *parents, last = path
        for part in parents:
            target = target[part]
        target[last] = value

    return change


def _drop(path):
    def change(payload):
        target = payload
        *parents, last = path
        for part in parents:
            target = target[part]
        del target[last]

    return change


ORDER_ERRORS = {
    # Required fields
    "missing external_id": (_without("external_id"), ["external_id"]),
    "missing number": (_without("number"), ["number"]),
    "missing placed_at": (_without("placed_at"), ["placed_at"]),
    "missing currency": (_without("currency"), ["currency"]),
    "missing total": (_without("total"), ["total"]),
    "missing customer": (_without("customer"), ["customer"]),
    "missing items": (_without("items"), ["items"]),
    # Wrong values
    "blank external_id": (_set(["external_id"], "  "), ["external_id"]),
    "external_id too long": (_set(["external_id"], "x" * 101), ["external_id"]),
    "number too long": (_set(["number"], "#" * 51), ["number"]),
    "placed_at not a date": (_set(["placed_at"], "yesterday"), ["placed_at"]),
    "placed_at a number": (_set(["placed_at"], 1732100000), ["placed_at"]),
    "currency lowercase": (_set(["currency"], "dkk"), ["currency"]),
    "currency four letters": (_set(["currency"], "DKKK"), ["currency"]),
    "total negative": (_set(["total"], "-1.00"), ["total"]),
    "total not a number": (_set(["total"], "lots"), ["total"]),
    "total three decimals": (_set(["total"], "1.005"), ["total"]),
    "total too large": (_set(["total"], "1" * 13), ["total"]),
    "total NaN": (_set(["total"], "NaN"), ["total"]),
    "locale unknown": (_set(["locale"], "fr"), ["locale"]),
    "customer not an object": (_set(["customer"], "anna@example.com"), ["customer"]),
    "customer without email or phone": (
        lambda p: p.update(customer={"first_name": "Anna"}),
        ["customer", "email"],
    ),
    "customer email invalid": (
        _set(["customer", "email"], "anna-at-example"),
        ["customer", "email"],
    ),
    "customer phone not a number": (_set(["customer", "phone"], "call me"), ["customer", "phone"]),
    "customer phone invalid": (_set(["customer", "phone"], "+4512"), ["customer", "phone"]),
    "customer first_name too long": (
        _set(["customer", "first_name"], "A" * 101),
        ["customer", "first_name"],
    ),
    "consent not a boolean": (
        _set(["customer", "consent", "email"], "maybe"),
        ["customer", "consent", "email"],
    ),
    "consent not an object": (_set(["customer", "consent"], True), ["customer", "consent"]),
    "address country three letters": (
        _set(["shipping_address", "country"], "DNK"),
        ["shipping_address", "country"],
    ),
    "address not an object": (_set(["shipping_address"], "Aarhus"), ["shipping_address"]),
    "items empty": (_set(["items"], []), ["items"]),
    "items not a list": (_set(["items"], {"sku": "SOFA-1"}), ["items"]),
    "too many items": (
        lambda p: p.update(items=p["items"] * 501),
        ["items"],
    ),
    "item without name": (_drop(["items", 0, "name"]), ["items", "0", "name"]),
    "item quantity zero": (_set(["items", 0, "quantity"], 0), ["items", "0", "quantity"]),
    "item quantity text": (_set(["items", 0, "quantity"], "one"), ["items", "0", "quantity"]),
    "item quantity huge": (_set(["items", 0, "quantity"], 10**12), ["items", "0", "quantity"]),
    "item price negative": (_set(["items", 0, "unit_price"], "-1"), ["items", "0", "unit_price"]),
    "item image_url not a url": (
        _set(["items", 0, "image_url"], "sofa.jpg"),
        ["items", "0", "image_url"],
    ),
    "item product_url javascript": (
        _set(["items", 0, "product_url"], "javascript:alert(1)"),
        ["items", "0", "product_url"],
    ),
    "item not an object": (_set(["items", 0], "SOFA-1"), ["items", "0"]),
    # Refused for the whole body before field validation (request-level guard): no field path.
    "null byte in a name": (_set(["customer", "first_name"], "An\x00na"), None),
}


def _dig(errors, path):
    node = errors
    for part in path:
        assert isinstance(node, dict) and part in node, f"no errors at {path}: {errors}"
        node = node[part]
    assert node, f"empty messages at {path}"
    return node


def _nothing_written(merchant):
    for model in (Order, Customer, Touchpoint, Shipment, ShipmentEvent):
        assert model.objects.for_merchant(merchant).count() == 0, model.__name__


@pytest.mark.parametrize("case", list(ORDER_ERRORS), ids=list(ORDER_ERRORS))
def test_invalid_order_is_400_with_the_fields_message_and_writes_nothing(
    case, api_a, merchant_a, order_payload
):
    change, path = ORDER_ERRORS[case]
    change(order_payload)
    response = api_a.post("/api/v1/orders/", order_payload, format="json")
    assert response.status_code == 400, response.content
    if path:
        _dig(response.json()["errors"], path)
    assert response.json()["errors"]
    _nothing_written(merchant_a)
    assert LineItem.objects.count() == 0


def test_several_wrong_fields_are_all_reported_at_once(api_a, order_payload):
    order_payload["currency"] = "kroner"
    order_payload["customer"]["phone"] = "12"
    order_payload["items"][0]["quantity"] = 0
    errors = api_a.post("/api/v1/orders/", order_payload, format="json").json()["errors"]
    assert {"currency", "customer", "items"} <= set(errors)


@pytest.mark.parametrize(
    "url", ["/api/v1/orders/", "/api/v1/orders/batch/"], ids=["order", "batch"]
)
@pytest.mark.parametrize(
    "body",
    ['{"external_id": "1001",', "not json at all", "[1, 2", "\ufeff{}"],
    ids=["truncated", "text", "broken-list", "bom"],
)
def test_malformed_json_is_400_in_the_error_shape(api_a, merchant_a, url, body):
    response = api_a.generic("POST", url, body.encode(), content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"errors"}
    _nothing_written(merchant_a)


@pytest.mark.parametrize(
    "body", [[], "an order", None, 42], ids=["list", "string", "null", "number"]
)
def test_json_that_is_not_an_object_is_400(api_a, merchant_a, body):
    response = api_a.generic(
        "POST", "/api/v1/orders/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]
    _nothing_written(merchant_a)


def test_wrong_content_type_is_415_in_the_error_shape(api_a):
    response = api_a.generic("POST", "/api/v1/orders/", "external_id=1", content_type="text/plain")
    assert response.status_code == 415
    assert set(response.json()) == {"errors"}


@pytest.mark.parametrize(
    "body, path",
    [
        ({}, ["orders"]),
        ({"orders": []}, ["orders"]),
        ({"orders": "all of them"}, ["orders"]),
        ({"orders": [{}] * 1001}, ["orders"]),
    ],
    ids=["missing", "empty", "not-a-list", "over-1000"],
)
def test_invalid_batch_envelope_is_400(api_a, merchant_a, body, path):
    response = api_a.post("/api/v1/orders/batch/", body, format="json")
    assert response.status_code == 400
    _dig(response.json()["errors"], path)
    _nothing_written(merchant_a)


# Shipments ------------------------------------------------------------------


@pytest.fixture
def order_a(api_a, order_payload):
    order_payload["items"].append(
        {"sku": "LAMP-1", "name": "Lys pendant", "quantity": 2, "unit_price": "0.00"}
    )
    response = api_a.post("/api/v1/orders/", order_payload, format="json")
    assert response.status_code == 201
    return response.json()["id"]


SHIPMENT_ERRORS = {
    "missing carrier": ({"tracking_number": "GLS1"}, ["carrier"]),
    "missing tracking_number": ({"carrier": "GLS"}, ["tracking_number"]),
    "blank carrier": ({"carrier": "", "tracking_number": "GLS1"}, ["carrier"]),
    "carrier too long": ({"carrier": "G" * 51, "tracking_number": "GLS1"}, ["carrier"]),
    "estimated_delivery not a date": (
        {"carrier": "GLS", "tracking_number": "GLS1", "estimated_delivery": "soon"},
        ["estimated_delivery"],
    ),
    "items not a list": (
        {"carrier": "GLS", "tracking_number": "GLS1", "items": "SOFA-1"},
        ["items"],
    ),
    "item without sku": (
        {"carrier": "GLS", "tracking_number": "GLS1", "items": [{"quantity": 1}]},
        ["items", "0", "sku"],
    ),
    "item quantity zero": (
        {"carrier": "GLS", "tracking_number": "GLS1", "items": [{"sku": "SOFA-1", "quantity": 0}]},
        ["items", "0", "quantity"],
    ),
    "item quantity huge": (
        {
            "carrier": "GLS",
            "tracking_number": "GLS1",
            "items": [{"sku": "SOFA-1", "quantity": 10**12}],
        },
        ["items", "0", "quantity"],
    ),
    "item more than ordered": (
        {"carrier": "GLS", "tracking_number": "GLS1", "items": [{"sku": "LAMP-1", "quantity": 3}]},
        ["items", "0", "quantity"],
    ),
    "item sku not on the order": (
        {"carrier": "GLS", "tracking_number": "GLS1", "items": [{"sku": "SOFA-1"}, {"sku": "X"}]},
        ["items", "1", "sku"],
    ),
}


@pytest.mark.parametrize("case", list(SHIPMENT_ERRORS), ids=list(SHIPMENT_ERRORS))
def test_invalid_shipment_is_400_with_the_fields_message_and_writes_nothing(
    case, api_a, merchant_a, order_a
):
    body, path = SHIPMENT_ERRORS[case]
    response = api_a.post(f"/api/v1/orders/{order_a}/shipments/", body, format="json")
    assert response.status_code == 400, response.content
    _dig(response.json()["errors"], path)
    assert Shipment.objects.for_merchant(merchant_a).count() == 0
    assert ShipmentItem.objects.count() == 0


def test_shipment_with_some_of_the_items_records_them(api_a, merchant_a, order_a):
    response = api_a.post(
        f"/api/v1/orders/{order_a}/shipments/",
        {"carrier": "GLS", "tracking_number": "GLS1", "items": [{"sku": "LAMP-1", "quantity": 1}]},
        format="json",
    )
    assert response.status_code == 201
    shipment = Shipment.objects.for_merchant(merchant_a).get()
    assert [(i.line_item.sku, i.quantity) for i in shipment.items.all()] == [("LAMP-1", 1)]


# Events ---------------------------------------------------------------------


@pytest.fixture
def shipment_a(api_a, order_a):
    response = api_a.post(
        f"/api/v1/orders/{order_a}/shipments/",
        {"carrier": "GLS", "tracking_number": "GLS1"},
        format="json",
    )
    return response.json()["id"]


EVENT_ERRORS = {
    "missing status": ({"occurred_at": "2026-11-22T08:00:00Z"}, ["status"]),
    "unknown status": ({"status": "lost", "occurred_at": "2026-11-22T08:00:00Z"}, ["status"]),
    "carrier's own status": (
        {"status": "In Transit", "occurred_at": "2026-11-22T08:00:00Z"},
        ["status"],
    ),
    "missing occurred_at": ({"status": "in_transit"}, ["occurred_at"]),
    "occurred_at not a time": ({"status": "in_transit", "occurred_at": "noon"}, ["occurred_at"]),
    "location too long": (
        {"status": "in_transit", "occurred_at": "2026-11-22T08:00:00Z", "location": "L" * 201},
        ["location"],
    ),
    "message too long": (
        {"status": "in_transit", "occurred_at": "2026-11-22T08:00:00Z", "message": "M" * 501},
        ["message"],
    ),
}


@pytest.mark.parametrize("case", list(EVENT_ERRORS), ids=list(EVENT_ERRORS))
def test_invalid_event_is_400_with_the_fields_message_and_writes_nothing(
    case, api_a, merchant_a, shipment_a
):
    body, path = EVENT_ERRORS[case]
    response = api_a.post(f"/api/v1/shipments/{shipment_a}/events/", body, format="json")
    assert response.status_code == 400, response.content
    _dig(response.json()["errors"], path)
    assert ShipmentEvent.objects.for_merchant(merchant_a).count() == 0
    assert Shipment.objects.for_merchant(merchant_a).get().status_at is None


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/orders/{order}/shipments/",
        "/api/v1/shipments/{shipment}/events/",
    ],
    ids=["shipment", "event"],
)
def test_malformed_json_on_shipment_endpoints_is_400(api_a, order_a, shipment_a, url):
    url = url.format(order=order_a, shipment=shipment_a)
    response = api_a.generic("POST", url, b"{", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"errors"}
