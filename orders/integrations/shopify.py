"""Shopify webhooks: signature check and translation of orders and fulfillments.

Payload shapes are those of Shopify's REST Admin webhooks (orders/*, fulfillments/*).
"""

import base64
import hashlib
import hmac
from datetime import datetime

from django.utils.dateparse import parse_date, parse_datetime

from orders.integrations.normalized import (
    FulfillmentUpdate,
    OrderUpdate,
    PayloadError,
    parses_payload,
)
from orders.models import ShipmentStatus

ORDER_TOPICS = frozenset({"orders/create", "orders/updated", "orders/cancelled"})
FULFILLMENT_TOPICS = frozenset({"fulfillments/create", "fulfillments/update"})
TOPICS = ORDER_TOPICS | FULFILLMENT_TOPICS

# Fulfillment.shipment_status -> our normalized status. None (no carrier news yet)
# means the label exists. Anything else is kept raw and moves nothing.
SHIPMENT_STATUS_MAP = {
    None: ShipmentStatus.LABEL_CREATED,
    "label_printed": ShipmentStatus.LABEL_CREATED,
    "label_purchased": ShipmentStatus.LABEL_CREATED,
    "confirmed": ShipmentStatus.LABEL_CREATED,
    "picked_up": ShipmentStatus.IN_TRANSIT,
    "carrier_picked_up": ShipmentStatus.IN_TRANSIT,
    "in_transit": ShipmentStatus.IN_TRANSIT,
    "out_for_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "attempted_delivery": ShipmentStatus.ATTEMPT_FAILED,
    "ready_for_pickup": ShipmentStatus.AVAILABLE_FOR_PICKUP,
    "delayed": ShipmentStatus.DELAYED,
    "delivered": ShipmentStatus.DELIVERED,
    "failure": ShipmentStatus.EXCEPTION,
}


def signature_valid(body: bytes, header: str | None, secret: str) -> bool:
    """X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the raw body, compared in constant time."""
    if not header or not secret:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    try:
        given = header.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected, given)


def _dt(value, *, field: str) -> datetime:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise PayloadError(f"{field}: not a date-time: {value!r}")
    return parsed


def _subscribed(consent) -> bool:
    return isinstance(consent, dict) and consent.get("state") == "subscribed"


def _locale(value) -> str | None:
    code = (value or "").split("-")[0].lower()
    return code if code in {"en", "da", "de"} else None


def order_external_id(payload: dict, topic: str) -> str:
    """Which of our orders a payload concerns (fulfillments name their order)."""
    raw = payload.get("order_id") if topic in FULFILLMENT_TOPICS else payload.get("id")
    return str(raw) if raw is not None else ""


@parses_payload
def order_update(payload: dict, *, triggered_at: datetime | None = None) -> OrderUpdate:
    if payload.get("id") is None:
        raise PayloadError("id: missing")
    customer = payload.get("customer") or {}
    address = payload.get("shipping_address") or {}
    email = payload.get("email") or payload.get("contact_email") or customer.get("email") or ""
    phone = payload.get("phone") or customer.get("phone") or address.get("phone") or ""
    accepts_email = bool(payload.get("buyer_accepts_marketing")) or _subscribed(
        customer.get("email_marketing_consent")
    )
    accepts_sms = _subscribed(customer.get("sms_marketing_consent"))
    items = [
        {
            "sku": line.get("sku") or "",
            "name": line.get("name") or line.get("title") or "",
            "quantity": line.get("quantity"),
            "unit_price": line.get("price"),
        }
        for line in payload.get("line_items") or []
        if (line.get("quantity") or 0) > 0
    ]
    data = {
        "external_id": str(payload["id"]),
        "number": payload.get("name") or f"#{payload.get('order_number', payload['id'])}",
        "placed_at": payload.get("processed_at") or payload.get("created_at"),
        "currency": payload.get("currency"),
        "total": payload.get("current_total_price") or payload.get("total_price"),
        "customer": {
            "email": email,
            "phone": phone,
            "first_name": customer.get("first_name") or address.get("first_name") or "",
            "last_name": customer.get("last_name") or address.get("last_name") or "",
            "external_id": str(customer.get("id") or ""),
            "consent": {"email": accepts_email, "sms": accepts_sms},
        },
        "shipping_address": {
            "line1": address.get("address1") or "",
            "line2": address.get("address2") or "",
            "city": address.get("city") or "",
            "postal_code": address.get("zip") or "",
            "region": address.get("province") or "",
            "country": address.get("country_code") or "",
        },
        "items": items,
    }
    locale = _locale(payload.get("customer_locale"))
    if locale:
        data["locale"] = locale
    version = payload.get("updated_at")
    version_at = _dt(version, field="updated_at") if version else triggered_at
    if version_at is None:
        raise PayloadError("updated_at: missing")
    cancelled = payload.get("cancelled_at")
    return OrderUpdate(
        external_id=data["external_id"],
        version_at=version_at,
        data=data,
        cancelled_at=_dt(cancelled, field="cancelled_at") if cancelled else None,
    )


@parses_payload
def fulfillment_update(payload: dict, *, triggered_at: datetime | None = None) -> FulfillmentUpdate:
    if payload.get("id") is None or payload.get("order_id") is None:
        raise PayloadError("id and order_id are required")
    raw = payload.get("shipment_status")
    created_at = _dt(payload.get("created_at"), field="created_at")
    updated = payload.get("updated_at")
    updated_at = _dt(updated, field="updated_at") if updated else (triggered_at or created_at)
    tracking = payload.get("tracking_number") or next(
        iter(payload.get("tracking_numbers") or []), ""
    )
    items = [
        {"sku": line["sku"], "quantity": line.get("quantity") or 1}
        for line in payload.get("line_items") or []
        if line.get("sku")
    ]
    estimated = payload.get("estimated_delivery_at")
    return FulfillmentUpdate(
        external_id=str(payload["id"]),
        order_external_id=str(payload["order_id"]),
        version_at=updated_at,
        carrier=(payload.get("tracking_company") or "Other")[:50],
        tracking_number=(tracking or "")[:100],
        # A fresh label is dated when the fulfillment was made; carrier news when it came.
        occurred_at=created_at if raw is None else updated_at,
        status=SHIPMENT_STATUS_MAP.get(raw),
        raw_status=(raw or "")[:100],
        estimated_delivery=parse_date(estimated[:10]) if isinstance(estimated, str) else None,
        items=items,
        skip_event=payload.get("status") in ("cancelled", "error", "failure"),
    )
