"""Business actions on orders and shipments. Each runs in one transaction."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from notifications.planning import (
    touchpoints_plan_for_new_order,
    touchpoints_plan_for_new_orders,
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
    _apply_customer_fields(customer, data, locale)
    customer.save()
    return customer


def _apply_customer_fields(customer: Customer, data: dict, locale: str) -> None:
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


def orders_batch_upsert(*, merchant: Merchant, orders: list[dict]) -> list[UpsertResult]:
    """Upsert many validated orders, with exactly the single endpoint's results, in bulk.

    One transaction and a constant number of queries for the whole batch: bulk reads of
    the existing orders and customers, bulk writes of customers, orders, items and
    touchpoints. An order whose external_id or customer already came earlier in the
    same batch is upserted after the bulk part, one by one, so it sees the earlier one
    exactly as a second POST would (same id again: 200, no second congratulation).
    """
    if not orders:
        return []
    try:
        with transaction.atomic():
            return _orders_batch_upsert(merchant=merchant, orders=orders)
    except IntegrityError:
        # A concurrent request created one of these external_ids between our read and
        # write: fall back to one by one, where each order retries on its own.
        return [order_upsert(merchant=merchant, data=data) for data in orders]


def _customer_key(data: dict, index: int) -> tuple:
    # The single path finds a customer by email, else by phone among those without email.
    if data.get("email"):
        return ("email", data["email"])
    if data.get("phone"):
        return ("phone", data["phone"])
    return ("none", index)


def _all_fields_but_pk(model) -> list[str]:
    # What save() writes; bulk_update must write the same to stay identical.
    return [f.name for f in model._meta.concrete_fields if not f.primary_key]


def _send_save_signals(signal, created: list, updated: list) -> None:
    for objs, was_created in ((created, True), (updated, False)):
        for obj in objs:
            kwargs = {"sender": type(obj), "instance": obj, "raw": False, "using": "default"}
            if signal is post_save:
                kwargs["created"] = was_created
            kwargs["update_fields"] = None
            signal.send(**kwargs)


def _orders_batch_upsert(*, merchant: Merchant, orders: list[dict]) -> list[UpsertResult]:
    bulk, later = [], []
    seen_orders, seen_customers = set(), set()
    for index, data in enumerate(orders):
        key = _customer_key(data["customer"], index)
        repeated = data["external_id"] in seen_orders or key in seen_customers
        (later if repeated else bulk).append(index)
        seen_orders.add(data["external_id"])
        seen_customers.add(key)

    existing_orders = {
        order.external_id: order
        for order in Order.objects.for_merchant(merchant)
        .select_for_update()
        .filter(external_id__in=[orders[i]["external_id"] for i in bulk])
    }
    customers = Customer.objects.for_merchant(merchant)
    found: dict[tuple, Customer] = {}
    emails = [orders[i]["customer"]["email"] for i in bulk if orders[i]["customer"].get("email")]
    phones = [
        orders[i]["customer"]["phone"]
        for i in bulk
        if not orders[i]["customer"].get("email") and orders[i]["customer"].get("phone")
    ]
    # Descending ids, later wins: the lowest id per key, like .order_by("id").first().
    if emails:
        for customer in customers.filter(email__in=emails).order_by("-id"):
            found[("email", customer.email)] = customer
    if phones:
        for customer in customers.filter(phone__in=phones, email="").order_by("-id"):
            found[("phone", customer.phone)] = customer

    now = timezone.now()
    new_customers, old_customers, new_orders, old_orders = [], [], [], []
    placed: dict[int, tuple[Order, bool]] = {}
    for index in bulk:
        data = orders[index]
        locale = data.get("locale") or merchant.default_locale
        customer = found.get(_customer_key(data["customer"], index))
        if customer is None:
            customer = Customer(merchant=merchant)
            new_customers.append(customer)
        else:
            customer.updated_at = now
            old_customers.append(customer)
        _apply_customer_fields(customer, data["customer"], locale)
        order = existing_orders.get(data["external_id"])
        created = order is None
        if created:
            order = Order(merchant=merchant, external_id=data["external_id"])
            new_orders.append(order)
        else:
            order.updated_at = now
            old_orders.append(order)
        order.customer = customer
        _apply_order_fields(order, data, locale)
        placed[index] = (order, created)

    # save() would send these; receivers (the tracking page cache, webhooks) must not
    # see a batch differently from single orders.
    _send_save_signals(pre_save, new_customers, old_customers)
    Customer.all_merchants.bulk_create(new_customers)
    if old_customers:
        Customer.all_merchants.bulk_update(old_customers, _all_fields_but_pk(Customer))
    _send_save_signals(post_save, new_customers, old_customers)
    _send_save_signals(pre_save, new_orders, old_orders)
    Order.all_merchants.bulk_create(new_orders)
    if old_orders:
        Order.all_merchants.bulk_update(old_orders, _all_fields_but_pk(Order))
        LineItem.objects.filter(order__in=old_orders).delete()
    _send_save_signals(post_save, new_orders, old_orders)
    LineItem.objects.bulk_create(
        LineItem(order=order, position=position, **item)
        for index, (order, _created) in placed.items()
        for position, item in enumerate(orders[index]["items"])
    )
    touchpoints_plan_for_new_orders(orders=new_orders)

    results: dict[int, UpsertResult] = {
        index: UpsertResult(order=order, created=created)
        for index, (order, created) in placed.items()
    }
    for index in later:
        results[index] = _order_upsert(merchant=merchant, data=orders[index])
    return [results[index] for index in range(len(orders))]


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
