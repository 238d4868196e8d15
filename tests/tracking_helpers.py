"""Orders in every shipment state, built through the real API, for the tracking page tests."""

from datetime import timedelta

from django.utils import timezone

from orders.models import Order, Product, Shipment
from tests.conftest import make_payload

# The carrier scans that bring a parcel to each state, oldest first: (status, hours ago, place, message).
STORIES = {
    "label_created": [("label_created", 20, "Aarhus", "Shipping label created")],
    "in_transit": [
        ("label_created", 40, "Aarhus", "Shipping label created"),
        ("in_transit", 30, "Aarhus C", "Parcel received at the terminal"),
        ("in_transit", 8, "Copenhagen", "Parcel sorted at the hub"),
    ],
    "out_for_delivery": [
        ("label_created", 48, "Aarhus", "Shipping label created"),
        ("in_transit", 30, "Copenhagen", "Parcel sorted at the hub"),
        ("out_for_delivery", 2, "Copenhagen", "Out with the driver"),
    ],
    "available_for_pickup": [
        ("label_created", 60, "Aarhus", "Shipping label created"),
        ("in_transit", 30, "Copenhagen", "Parcel sorted at the hub"),
        ("available_for_pickup", 3, "Netto Nørrebrogade", "Ready at the pickup point"),
    ],
    "attempt_failed": [
        ("label_created", 60, "Aarhus", "Shipping label created"),
        ("out_for_delivery", 8, "Copenhagen", "Out with the driver"),
        ("attempt_failed", 4, "Copenhagen", "Nobody home; notice left"),
    ],
    "delayed": [
        ("label_created", 70, "Aarhus", "Shipping label created"),
        ("in_transit", 50, "Padborg", "Parcel crossed the border"),
        ("delayed", 5, "Padborg", "Delayed by weather"),
    ],
    "exception": [
        ("label_created", 70, "Aarhus", "Shipping label created"),
        ("in_transit", 50, "Copenhagen", "Parcel sorted at the hub"),
        ("exception", 6, "Copenhagen", "Parcel damaged; under investigation"),
    ],
    "delivered": [
        ("label_created", 72, "Aarhus", "Shipping label created"),
        ("in_transit", 50, "Copenhagen", "Parcel sorted at the hub"),
        ("out_for_delivery", 28, "Copenhagen", "Out with the driver"),
        ("delivered", 24, "Copenhagen", "Delivered to the front door"),
    ],
    "returned_to_sender": [
        ("label_created", 200, "Aarhus", "Shipping label created"),
        ("attempt_failed", 120, "Copenhagen", "Nobody home"),
        ("returned_to_sender", 30, "Copenhagen", "Not collected; returning to sender"),
    ],
}
STATES = list(STORIES)


def create_order(api, *, external_id: str, locale: str = "da", items=None, **overrides) -> Order:
    payload = make_payload(external_id, locale=locale, **overrides)
    if items is not None:
        payload["items"] = items
    response = api.post("/api/v1/orders/", payload, format="json")
    assert response.status_code in (200, 201), response.json()
    return Order.objects.unscoped(reason="test: the row the API just created").get(
        pk=response.json()["id"]
    )


def add_shipment(api, order, *, carrier="GLS", number="00340434161234567890", eta=None, items=None):
    body = {"carrier": carrier, "tracking_number": number}
    if eta is not None:
        body["estimated_delivery"] = eta.isoformat()
    if items:
        body["items"] = items
    response = api.post(f"/api/v1/orders/{order.pk}/shipments/", body, format="json")
    assert response.status_code == 201, response.json()
    return Shipment.objects.unscoped(reason="test: the row the API just created").get(
        pk=response.json()["id"]
    )


def add_event(api, shipment, status, *, hours_ago: float, location="", message=""):
    occurred = timezone.now() - timedelta(hours=hours_ago)
    response = api.post(
        f"/api/v1/shipments/{shipment.pk}/events/",
        {
            "status": status,
            "occurred_at": occurred.isoformat(),
            "location": location,
            "message": message,
        },
        format="json",
    )
    assert response.status_code in (200, 201), response.json()


def tell_story(api, shipment, state: str) -> None:
    for status, hours, place, message in STORIES[state]:
        add_event(api, shipment, status, hours_ago=hours, location=place, message=message)


def order_in_state(
    api, *, state: str, external_id: str, locale: str = "da", eta_days=2, items=None
):
    order = create_order(api, external_id=external_id, locale=locale, items=items)
    # Days ahead in the shop's zone, as the page counts them (UTC's date is a day behind
    # Copenhagen's from 23:00 to midnight UTC).
    today = timezone.localdate(timezone=order.merchant.tzinfo)
    eta = today + timedelta(days=eta_days) if eta_days is not None else None
    shipment = add_shipment(api, order, eta=eta)
    tell_story(api, shipment, state)
    return Order.objects.unscoped(reason="test: the row the API just created").get(pk=order.pk)


def catalogue(merchant, *, base_url="https://shop.example.com", image_base=None) -> dict:
    """A small catalogue for merchant A: the sofa, things that go with it, best sellers."""
    image_base = image_base or f"{base_url}/img"
    rows = [
        ("SOFA-1", "Sofa Hygge 3-seater", "sofas", "8999.00", None),
        ("SOFA-2", "Sofa Hygge XL with chaise", "sofas", "12999.00", None),
        ("CUSH-1", "Wool cushion, moss green", "textiles", "349.00", 2),
        ("THROW-1", "Alpaca throw, sand", "textiles", "899.00", 1),
        ("LAMP-1", "Floor lamp Lys", "lighting", "1499.00", 3),
        ("TABLE-1", "Oak side table", "tables", "1299.00", 4),
        ("CARE-1", "Fabric care kit", "care", "199.00", None),
    ]
    products = {}
    for sku, name, category, price, rank in rows:
        slug = sku.lower()
        products[sku] = Product.objects.create(
            merchant=merchant,
            sku=sku,
            name=name,
            category=category,
            price=price,
            currency="DKK",
            image_url=f"{image_base}/{slug}.svg",
            url=f"{base_url}/p/{slug}?ref=catalogue",
            best_seller_rank=rank,
        )
    return products
