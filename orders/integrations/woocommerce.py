"""WooCommerce webhooks: signature check and translation of orders (REST API v3 shape)."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime

from orders.integrations.normalized import (
    FulfillmentUpdate,
    OrderUpdate,
    PayloadError,
    parses_payload,
)
from orders.models import ShipmentStatus

ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.restored"})
# Not a purchase yet: a cart being checked out or a payment that failed.
NOT_YET_ORDERS = frozenset({"checkout-draft", "pending", "failed", "trash"})
CANCELLED = frozenset({"cancelled", "refunded"})
_YES = {"yes", "1", "true", "on"}
# WooCommerce has no shipments of its own; the Shipment Tracking extension keeps the
# parcels in this order meta, and it comes with every order webhook.
TRACKING_META = "_wc_shipment_tracking_items"


def signature_valid(body: bytes, header: str | None, secret: str) -> bool:
    """X-WC-Webhook-Signature: base64 HMAC-SHA256 of the raw body, compared in constant time."""
    if not header or not secret:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    try:
        given = header.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected, given)


def _gmt(value, *, field: str):
    """WooCommerce's *_gmt fields are UTC without an offset."""
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise PayloadError(f"{field}: not a date-time: {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _meta(payload: dict) -> dict:
    return {
        entry.get("key"): entry.get("value")
        for entry in payload.get("meta_data") or []
        if isinstance(entry, dict)
    }


@parses_payload
def order_update(payload: dict) -> OrderUpdate | None:
    """The order to upsert, or None if this is not (yet) a purchase."""
    if payload.get("id") is None:
        raise PayloadError("id: missing")
    status = payload.get("status") or ""
    if status in NOT_YET_ORDERS:
        return None
    billing = payload.get("billing") or {}
    shipping = payload.get("shipping") or {}
    meta = _meta(payload)
    # WooCommerce has no marketing-consent field of its own; checkout plugins store it as
    # order meta. Without it we assume no consent: nobody is messaged who did not agree.
    consent = {
        "email": str(meta.get("postpurchase_consent_email", "")).lower() in _YES,
        "sms": str(meta.get("postpurchase_consent_sms", "")).lower() in _YES,
    }
    items = []
    for line in payload.get("line_items") or []:
        if (line.get("quantity") or 0) <= 0:
            continue
        image = line.get("image") or {}
        items.append(
            {
                "sku": line.get("sku") or "",
                "name": line.get("name") or "",
                "quantity": line.get("quantity"),
                "unit_price": str(line.get("price") if line.get("price") is not None else "0"),
                "image_url": image.get("src") or "" if isinstance(image, dict) else "",
            }
        )
    data = {
        "external_id": str(payload["id"]),
        "number": f"#{payload.get('number') or payload['id']}",
        "placed_at": _gmt(payload.get("date_created_gmt"), field="date_created_gmt").isoformat(),
        "currency": payload.get("currency"),
        "total": payload.get("total"),
        "customer": {
            "email": billing.get("email") or "",
            "phone": billing.get("phone") or shipping.get("phone") or "",
            "first_name": billing.get("first_name") or shipping.get("first_name") or "",
            "last_name": billing.get("last_name") or shipping.get("last_name") or "",
            "external_id": str(payload.get("customer_id") or "")
            if payload.get("customer_id")
            else "",
            "consent": consent,
        },
        "shipping_address": {
            "line1": shipping.get("address_1") or billing.get("address_1") or "",
            "line2": shipping.get("address_2") or billing.get("address_2") or "",
            "city": shipping.get("city") or billing.get("city") or "",
            "postal_code": shipping.get("postcode") or billing.get("postcode") or "",
            "region": shipping.get("state") or billing.get("state") or "",
            "country": shipping.get("country") or billing.get("country") or "",
        },
        "items": items,
    }
    language = (str(meta.get("wpml_language") or "")).split("-")[0].lower()
    if language in {"en", "da", "de"}:
        data["locale"] = language
    version_at = _gmt(
        payload.get("date_modified_gmt") or payload.get("date_created_gmt"),
        field="date_modified_gmt",
    )
    return OrderUpdate(
        external_id=data["external_id"],
        version_at=version_at,
        data=data,
        cancelled_at=version_at if status in CANCELLED else None,
    )


@parses_payload
def fulfillment_updates(payload: dict) -> list[FulfillmentUpdate]:
    """The order's parcels from the Shipment Tracking extension (none without it).

    Each order webhook repeats them all; applying one again changes nothing. Without a
    carrier scan a parcel is "label created"; carrier tracking moves it on from there.
    """
    order_id = payload.get("id")
    if order_id is None:
        raise PayloadError("id: missing")
    version_at = _gmt(
        payload.get("date_modified_gmt") or payload.get("date_created_gmt"),
        field="date_modified_gmt",
    )
    updates = []
    for item in _meta(payload).get(TRACKING_META) or []:
        if not isinstance(item, dict) or not str(item.get("tracking_number") or "").strip():
            continue
        number = str(item["tracking_number"]).strip()[:100]
        shipped = str(item.get("date_shipped") or "")
        carrier = item.get("custom_tracking_provider") or item.get("tracking_provider") or "Other"
        updates.append(
            FulfillmentUpdate(
                external_id=f"{order_id}:{item.get('tracking_id') or number}"[:100],
                order_external_id=str(order_id),
                version_at=version_at,
                carrier=str(carrier)[:50],
                tracking_number=number,
                occurred_at=(
                    datetime.fromtimestamp(int(shipped), UTC) if shipped.isdigit() else version_at
                ),
                status=ShipmentStatus.LABEL_CREATED,
                raw_status="shipped",
            )
        )
    return updates
