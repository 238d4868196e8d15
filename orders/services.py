"""Business actions on orders and shipments. Each runs in one transaction."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from notifications.planning import (
    touchpoints_plan_for_new_order,
    touchpoints_plan_for_shipment_change,
)
from orders.models import Customer, LineItem, Order, Shipment, ShipmentEvent, ShipmentItem
from postpurchase.models import Merchant
from postpurchase.tenancy import get_for_merchant


@dataclass(frozen=True)
class UpsertResult:
    order: Order
    created: bool


def _customer_upsert(*, merchant: Merchant, data: dict, locale: str) -> Customer:
    customers = Customer.objects.for_merchant(merchant)
    customer = None
    if data.get("email"):
        customer = customers.filter(email=data["email"]).order_by("id").first()
    elif data.get("phone"):
        customer = customers.filter(phone=data["phone"], email="").order_by("id").first()
    if customer is None:
        customer = Customer(merchant=merchant)
    consent = data["consent"]
    customer.email = data.get("email", "") or customer.email
    customer.phone = data.get("phone", "") or customer.phone
    customer.first_name = data.get("first_name", "") or customer.first_name
    customer.last_name = data.get("last_name", "") or customer.last_name
    customer.external_id = data.get("external_id", "") or customer.external_id
    customer.locale = locale
    customer.consent_email = consent.get("email", False)
    customer.consent_sms = consent.get("sms", False)
    customer.consent_call = consent.get("call", True) and customer.consent_call
    customer.save()
    return customer


def _apply_order_fields(order: Order, data: dict, locale: str) -> None:
    address = data.get("shipping_address") or {}
    order.number = data["number"]
    order.placed_at = data["placed_at"]
    order.currency = data["currency"]
    order.total = data["total"]
    order.locale = locale
    order.referred_by = data.get("referred_by", "") or order.referred_by
    order.shipping_line1 = address.get("line1", "")
    order.shipping_line2 = address.get("line2", "")
    order.shipping_city = address.get("city", "")
    order.shipping_postal_code = address.get("postal_code", "")
    order.shipping_region = address.get("region", "")
    order.shipping_country = address.get("country", "").upper()


def _replace_items(order: Order, items: list[dict]) -> None:
    order.items.all().delete()
    LineItem.objects.bulk_create(
        LineItem(order=order, position=index, **item) for index, item in enumerate(items)
    )


def order_upsert(*, merchant: Merchant, data: dict) -> UpsertResult:
    """Create the order, or update the one with the same external_id.

    A new order plans its touchpoints in the same transaction; an update plans
    nothing, so re-posting an order never sends a second congratulation.
    """
    try:
        with transaction.atomic():
            return _order_upsert(merchant=merchant, data=data)
    except IntegrityError:
        # Another request created the same external_id between our read and write.
        with transaction.atomic():
            return _order_upsert(merchant=merchant, data=data)


def _order_upsert(*, merchant: Merchant, data: dict) -> UpsertResult:
    locale = data.get("locale") or merchant.default_locale
    order = (
        Order.objects.for_merchant(merchant)
        .select_for_update()
        .filter(external_id=data["external_id"])
        .first()
    )
    created = order is None
    customer = _customer_upsert(merchant=merchant, data=data["customer"], locale=locale)
    if created:
        order = Order(merchant=merchant, external_id=data["external_id"])
    order.customer = customer
    _apply_order_fields(order, data, locale)
    order.save()
    _replace_items(order, data["items"])
    if created:
        touchpoints_plan_for_new_order(order=order)
    return UpsertResult(order=order, created=created)


def shipment_create(*, merchant: Merchant, order: Order, data: dict) -> Shipment:
    with transaction.atomic():
        shipment = Shipment.objects.create(
            merchant=merchant,
            order=order,
            carrier=data["carrier"],
            tracking_number=data["tracking_number"],
            estimated_delivery=data.get("estimated_delivery"),
        )
        items = {item.sku: item for item in order.items.all() if item.sku}
        for entry in data.get("items") or []:
            line = items.get(entry["sku"])
            if line is None:
                raise ValidationError({"items": [f"Unknown SKU on this order: {entry['sku']}"]})
            ShipmentItem.objects.create(
                shipment=shipment, line_item=line, quantity=entry.get("quantity") or line.quantity
            )
    return shipment


@dataclass(frozen=True)
class EventResult:
    event: ShipmentEvent
    created: bool
    status_changed: bool


def shipment_event_record(*, merchant: Merchant, shipment: Shipment, data: dict) -> EventResult:
    """Store a carrier event; move the shipment's status only if it is the latest.

    Events arrive out of order and twice: a duplicate (same status and time) is
    ignored, an older event joins the timeline without touching the status.
    """
    with transaction.atomic():
        shipment = Shipment.objects.for_merchant(merchant).select_for_update().get(pk=shipment.pk)
        event, created = ShipmentEvent.objects.for_merchant(merchant).get_or_create(
            shipment=shipment,
            status=data["status"],
            occurred_at=data["occurred_at"],
            defaults={
                "merchant": merchant,
                "location": data.get("location", ""),
                "message": data.get("message", ""),
                "raw_status": data.get("raw_status", ""),
            },
        )
        status_changed = False
        if created and (shipment.status_at is None or event.occurred_at >= shipment.status_at):
            status_changed = shipment.status != event.status or shipment.status_at is None
            shipment.status = event.status
            shipment.status_at = event.occurred_at
            shipment.save(update_fields=["status", "status_at", "updated_at"])
            if status_changed:
                touchpoints_plan_for_shipment_change(shipment=shipment, event=event)
    return EventResult(event=event, created=created, status_changed=status_changed)


def get_order(*, merchant: Merchant, order_id) -> Order:
    return get_for_merchant(Order, merchant=merchant, pk=order_id)


def get_shipment(*, merchant: Merchant, shipment_id) -> Shipment:
    return get_for_merchant(Shipment, merchant=merchant, pk=shipment_id)
