"""Shared steps for the touchpoint engine's stories: an order, a shipment, its events."""

from notifications.dispatch import touchpoints_dispatch_due
from notifications.models import Touchpoint
from tests.conftest import make_payload


def place_order(api, external_id="3001", **overrides) -> dict:
    response = api.post("/api/v1/orders/", make_payload(external_id, **overrides), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def ship(api, order_id, **extra) -> int:
    body = {"carrier": "PostNord", "tracking_number": "00370712345678901", **extra}
    response = api.post(f"/api/v1/orders/{order_id}/shipments/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def scan(api, shipment_id, status, at, **extra):
    body = {"status": status, "occurred_at": at, **extra}
    response = api.post(f"/api/v1/shipments/{shipment_id}/events/", body, format="json")
    assert response.status_code in (200, 201), response.content
    return response


def send_due() -> list[int]:
    """One pass of the dispatcher, sending in this process."""
    return touchpoints_dispatch_due(inline=True)


def updates(merchant, **filters):
    return Touchpoint.objects.for_merchant(merchant).filter(kind="shipment_update", **filters)
