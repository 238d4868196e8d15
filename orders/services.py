"""Business actions on orders and shipments. Each runs in one transaction."""

import functools
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from django.utils.translation import gettext as _

from followups.planning import (
    PLANNING_FACTS_COLUMNS,
    planning_facts_from_row,
    planning_facts_sql,
)
from notifications.planning import (
    touchpoints_plan_for_new_order,
    touchpoints_plan_for_new_orders,
    touchpoints_plan_for_shipment_change,
)
from notifications.selectors import SUPPRESSED_ONE_SQL, suppressed_addresses
from orders.models import (
    Customer,
    LineItem,
    Order,
    OrderNote,
    Shipment,
    ShipmentEvent,
    ShipmentItem,
)
from orders.selectors import order_detail_prefetched
from orders.signals import shipment_created
from postpurchase.inserts import insert_new, insert_new_with_children
from postpurchase.models import Merchant
from postpurchase.prepared import execute_fixed
from postpurchase.tenancy import get_for_merchant
from tracking.cache import bumps_coalesced
from tracking.carriers.detection import detect_carrier


@dataclass(frozen=True)
class UpsertResult:
    order: Order
    created: bool


def buyer_key(customer: dict) -> tuple[str, str] | None:
    """How an order's buyer is recognised among the merchant's customers, the one rule of
    every path (single, batch, the one-statement lookup): by email; a buyer without email
    by phone, among customers without email; not at all when the payload names neither.

    The values arrive normalised (OrderInput strips and lower-cases the email and writes
    the phone in E.164), so equality is the whole match. Of several customers that match,
    the oldest (lowest id) is the buyer."""
    if customer.get("email"):
        return ("email", customer["email"])
    if customer.get("phone"):
        return ("phone", customer["phone"])
    return None


def buyers_matching(by: str, values) -> Q:
    """The customers that buyer keys of kind `by` ("email" or "phone") with `values` match."""
    if by == "email":
        return Q(email__in=values)
    return Q(phone__in=values, email="")


def _customer_lookup(*, merchant: Merchant, data: dict):
    """The buyer's earlier records, oldest first; None when the payload names no buyer."""
    key = buyer_key(data)
    if key is None:
        return None
    by, value = key
    customers = Customer.objects.for_merchant(merchant)
    return customers.filter(buyers_matching(by, [value])).order_by("id")


def _customer_upsert(
    *, merchant: Merchant, data: dict, locale: str, found: Customer | bool | None = False
) -> Customer:
    """`found`: the customer already looked up (None: there is none); False: look it up."""
    customer = found
    if found is False:
        lookup = _customer_lookup(merchant=merchant, data=data)
        customer = lookup.first() if lookup is not None else None
    before = None
    if customer is None:
        customer = Customer(merchant=merchant)
    else:
        before = _field_values(customer, CUSTOMER_FIELDS)
    _apply_customer_fields(customer, data, locale)
    if before is None:
        _save_new(Customer.objects.for_merchant(merchant), customer)
    elif _field_values(customer, CUSTOMER_FIELDS) != before:
        customer.save()
    return customer


def _save_new(rows, obj) -> None:
    """`obj.save()` for a new row: the same signals around an INSERT compiled once per
    model (postpurchase/inserts.py); save() compiled it again for every ingested order."""
    _send_save_signals(pre_save, [obj], [])
    insert_new(rows, [obj])
    _send_save_signals(post_save, [obj], [])


CUSTOMER_FIELDS = (
    "email",
    "phone",
    "first_name",
    "last_name",
    "external_id",
    "locale",
    "consent_email",
    "consent_sms",
    "consent_call",
)


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


ITEM_FIELDS = ("sku", "name", "quantity", "unit_price", "image_url", "product_url")


def _item_key(sku: str, position: int) -> str:
    return sku or f"#{position}"


@dataclass
class ItemChanges:
    """What makes an order's line items match a payload: few rows touched, ids kept."""

    update: list = field(default_factory=list)
    create: list = field(default_factory=list)
    delete: list = field(default_factory=list)

    def add(self, order: Order, items: list[dict], existing_lines) -> None:
        # Matched by SKU (by position for lines without one), so a re-posted order
        # keeps its line items' ids, and the shipment items that point at them.
        existing: dict[str, list[LineItem]] = {}
        for line in sorted(existing_lines, key=lambda line: (line.position, line.pk)):
            existing.setdefault(_item_key(line.sku, line.position), []).append(line)
        for index, item in enumerate(items):
            matches = existing.get(_item_key(item.get("sku", ""), index))
            if not matches:
                self.create.append(LineItem(order=order, position=index, **item))
                continue
            line = matches.pop(0)
            wanted = {name: item.get(name, "") for name in ITEM_FIELDS} | {"position": index}
            if any(getattr(line, name) != value for name, value in wanted.items()):
                for name, value in wanted.items():
                    setattr(line, name, value)
                self.update.append(line)
        self.delete.extend(line.pk for lines in existing.values() for line in lines)

    def apply(self) -> None:
        if self.delete:
            LineItem.objects.filter(pk__in=self.delete).delete()
        if self.update:
            LineItem.objects.bulk_update(self.update, [*ITEM_FIELDS, "position"])
        if self.create:
            insert_new(LineItem.objects.all(), self.create)


def _field_values(instance, names) -> dict:
    return {name: getattr(instance, name) for name in names}


ORDER_FIELDS = (
    "customer_id",
    "number",
    "placed_at",
    "currency",
    "total",
    "locale",
    "referred_by",
    "shipping_line1",
    "shipping_line2",
    "shipping_city",
    "shipping_postal_code",
    "shipping_region",
    "shipping_country",
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


def _order_and_customer_found(
    *, merchant: Merchant, data: dict
) -> tuple[Order | None, Customer | None, set[str], tuple | None]:
    """The order with this external_id, locked, the buyer's earlier record (as
    `_customer_lookup` finds it), whether the payload's email is opted out (as
    `suppressed_addresses` answers it: a set of it, or empty) and the merchant's
    call-planning facts (as followups.planning reads them), in one statement: each was
    a round trip of every ingested order, and compiling them with the ORM cost more CPU
    than running them. The SQL is PostgreSQL's (LATERAL); the embedded SQLite of
    `make run` uses the ORM, and planning reads its facts itself (None)."""
    email = data["customer"].get("email") or ""
    if connection.vendor != "postgresql":
        lookup = _customer_lookup(merchant=merchant, data=data["customer"])
        orders = Order.objects.for_merchant(merchant).select_for_update()
        return (
            orders.filter(external_id=data["external_id"]).first(),
            lookup.first() if lookup is not None else None,
            suppressed_addresses(merchant=merchant, channel="email", addresses=[email]),
            None,
        )
    key = buyer_key(data["customer"])
    facts_sql, facts_params = planning_facts_sql(merchant)
    sql, match_params = _lookup_sql(key[0] if key else None, facts_sql)
    params = [merchant.pk, data["external_id"], merchant.pk]
    params += [key[1] if param == _BUYER else param for param in match_params]
    params += ["email", email.lower() or None, merchant.pk, *facts_params]
    with connection.cursor() as cursor:
        execute_fixed(cursor, sql, params)  # prepared: planning it cost more than running it
        row = cursor.fetchone()
    split = len(_ORDER_NAMES)
    order_values, customer_values = row[:split], row[split : split + len(_CUSTOMER_NAMES)]
    order = customer = None
    if order_values[0] is not None:
        order = Order.from_db("default", _ORDER_NAMES, order_values)
    if customer_values[0] is not None:
        customer = Customer.from_db("default", _CUSTOMER_NAMES, customer_values)
    opted_out = row[split + len(_CUSTOMER_NAMES)]
    facts = planning_facts_from_row(merchant, row[-PLANNING_FACTS_COLUMNS:])
    return order, customer, {email.lower()} if opted_out else set(), facts


_ORDER_NAMES = [f.attname for f in Order._meta.concrete_fields]
_CUSTOMER_NAMES = [f.attname for f in Customer._meta.concrete_fields]


_BUYER = "\x00buyer"  # stands for the buyer's email or phone while the SQL is compiled


@functools.lru_cache(maxsize=16)
def _lookup_sql(by: str | None, facts_sql: str) -> tuple[str, tuple]:
    """The statement for buyers keyed `by` with the planning facts' `facts_sql` (the same
    text for every merchant), and its match's parameters (_BUYER is the buyer's value):
    compiled once per process, from buyers_matching itself."""
    match, match_params = "FALSE", ()
    if by is not None:
        rows = Customer.objects.unscoped(reason="compiles SQL; the merchant is a parameter")
        query = rows.filter(buyers_matching(by, [_BUYER])).query
        match, match_params = query.where.as_sql(
            query.get_compiler(connection=connection), connection
        )

    def columns(model):
        return ", ".join(f'"{field.column}"' for field in model._meta.concrete_fields)

    # Table and column names and ORM-compiled SQL only; every value is a parameter.
    sql = (
        "SELECT found_order.*, found_customer.*, opted_out.*, planning_facts.* "  # noqa: S608
        "FROM (SELECT 1) AS one "
        f"LEFT JOIN LATERAL (SELECT {columns(Order)} FROM {Order._meta.db_table} "
        "WHERE merchant_id = %s AND external_id = %s FOR UPDATE) AS found_order ON TRUE "
        f"LEFT JOIN LATERAL (SELECT {columns(Customer)} FROM {Customer._meta.db_table} "
        f"WHERE merchant_id = %s AND {match} ORDER BY id LIMIT 1) "
        "AS found_customer ON TRUE "
        # What planning the new order's congratulation asks next (was its own statement).
        f"CROSS JOIN (SELECT {SUPPRESSED_ONE_SQL}) AS opted_out "
        # And what planning its call asks: rules, team, ambassadors (its own until #16).
        f"CROSS JOIN ({facts_sql}) AS planning_facts"
    )
    return sql, tuple(match_params)


def _order_upsert(*, merchant: Merchant, data: dict, plan: bool = True) -> UpsertResult:
    """The upsert itself; `plan=False` leaves a new order's planning to the caller."""
    locale = data.get("locale") or merchant.default_locale
    order, customer, suppressed, facts = _order_and_customer_found(merchant=merchant, data=data)
    created = order is None
    # A known order may have been locked by another request until just now: read its
    # buyer again, as that request left them (a new order locks nothing, waits for nothing).
    found = customer if created else False
    customer = _customer_upsert(
        merchant=merchant, data=data["customer"], locale=locale, found=found
    )
    if created:
        order = Order(merchant=merchant, external_id=data["external_id"])
    before = None if created else _field_values(order, ORDER_FIELDS)
    order.customer = customer
    _apply_order_fields(order, data, locale)
    saved = created or _field_values(order, ORDER_FIELDS) != before
    changes = ItemChanges()
    if created:
        changes.add(order, data["items"], [])
        # save()'s signals around the order and its items, written together.
        _send_save_signals(pre_save, [order], [])
        insert_new_with_children(
            Order.objects.for_merchant(merchant),
            order,
            LineItem.objects.all(),
            changes.create,
            link="order",
        )
        _send_save_signals(post_save, [order], [])
    else:
        if saved:
            order.save()
        changes.add(order, data["items"], order.items.all())
        changes.apply()
    if not saved and (changes.update or changes.create or changes.delete):
        from tracking.cache import order_changed

        # Bulk item writes send no signal: the buyer's page must show the new items.
        order_changed(order.pk)
    if created and plan:
        # The buyer's email is the payload's (a buyer matched without email has none).
        planned = touchpoints_plan_for_new_order(order=order, suppressed=suppressed, facts=facts)
        # All the detail view shows is in hand: the 201 need not read it back.
        order_detail_prefetched(order, items=changes.create, shipments=[], touchpoints=planned)
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
        # The tracking page cache hears of every saved row (post_save); one bump per batch.
        with transaction.atomic(), bumps_coalesced():
            return _orders_batch_upsert(merchant=merchant, orders=orders)
    except IntegrityError:
        # A concurrent request created one of these external_ids between our read and
        # write: fall back to one by one, where each order retries on its own.
        return [order_upsert(merchant=merchant, data=data) for data in orders]


def _customer_key(data: dict, index: int) -> tuple:
    # A buyer the rule cannot recognise is nobody else: a key of their own.
    return buyer_key(data) or ("none", index)


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
    wanted: dict[str, list[str]] = {}
    for i in bulk:
        if key := buyer_key(orders[i]["customer"]):
            wanted.setdefault(key[0], []).append(key[1])
    for by, values in wanted.items():
        # Descending ids, later wins: the lowest id per key, like .order_by("id").first().
        for customer in customers.filter(buyers_matching(by, values)).order_by("-id"):
            found[(by, getattr(customer, by))] = customer

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
    customers.bulk_create(new_customers)
    if old_customers:
        customers.bulk_update(old_customers, _all_fields_but_pk(Customer))
    _send_save_signals(post_save, new_customers, old_customers)
    _send_save_signals(pre_save, new_orders, old_orders)
    # Rows go into the unique index in one order for every request, so two overlapping
    # batches wait for each other (then retry one by one) instead of deadlocking.
    merchant_orders = Order.objects.for_merchant(merchant)
    merchant_orders.bulk_create(sorted(new_orders, key=lambda order: order.external_id))
    if old_orders:
        merchant_orders.bulk_update(old_orders, _all_fields_but_pk(Order))
    _send_save_signals(post_save, new_orders, old_orders)
    old_lines: dict[int, list[LineItem]] = {}
    for line in LineItem.objects.filter(order__in=old_orders) if old_orders else []:
        old_lines.setdefault(line.order_id, []).append(line)
    changes = ItemChanges()
    for index, (order, created) in placed.items():
        changes.add(order, orders[index]["items"], [] if created else old_lines.get(order.pk, []))
    changes.apply()

    results: dict[int, UpsertResult] = {
        index: UpsertResult(order=order, created=created)
        for index, (order, created) in placed.items()
    }
    for index in later:
        results[index] = _order_upsert(merchant=merchant, data=orders[index], plan=False)
    results_in_order = [results[index] for index in range(len(orders))]
    # Planned at once and in input order, as posting them one by one would: calls are
    # assigned and ambassadors asked in arrival order. Each order keeps the customer
    # instance of its own upsert (a later one reads a fresh copy), so its plan sees the
    # buyer's consent as it was when it came.
    touchpoints_plan_for_new_orders(orders=[r.order for r in results_in_order if r.created])
    return results_in_order


def shipment_items_problems(*, order: Order, items: list[dict]) -> dict[int, dict]:
    """Per item index, what is wrong with a shipment's items against its order."""
    lines = {}
    for line in order.items.all():
        if line.sku:
            lines.setdefault(line.sku, line)
    problems = {}
    for index, entry in enumerate(items):
        line = lines.get(entry["sku"])
        if line is None:
            problems[index] = {"sku": [f"SKU {entry['sku']} is not on this order."]}
        elif entry.get("quantity") and entry["quantity"] > line.quantity:
            problems[index] = {
                "quantity": [f"Only {line.quantity} of {entry['sku']} were ordered."]
            }
    return problems


def shipment_create(*, merchant: Merchant, order: Order, data: dict) -> Shipment:
    """A parcel of `order`, optionally with which items (by SKU) it carries."""
    entries = data.get("items") or []
    problems = shipment_items_problems(order=order, items=entries)
    if problems:
        # Callers other than the API (integrations, CSV) get the same verdict.
        raise ValidationError(
            {
                "items": [
                    f"Item {index}: " + " ".join(m for messages in p.values() for m in messages)
                    for index, p in problems.items()
                ]
            }
        )
    lines = {}
    for line in order.items.all():
        if line.sku:
            lines.setdefault(line.sku, line)
    with transaction.atomic():
        shipment = Shipment.objects.create(
            merchant=merchant,
            order=order,
            # Feeds and imports may leave the carrier out where the number tells it.
            carrier=data.get("carrier") or detect_carrier(data["tracking_number"]),
            tracking_number=data["tracking_number"],
            estimated_delivery=data.get("estimated_delivery"),
        )
        ShipmentItem.objects.bulk_create(
            ShipmentItem(
                shipment=shipment,
                line_item=lines[entry["sku"]],
                quantity=entry.get("quantity") or lines[entry["sku"]].quantity,
            )
            for entry in entries
        )
        # Tracking starts polling parcels of carriers karrio can ask (tracking/apps.py).
        shipment_created.send(sender=Shipment, merchant=merchant, shipment=shipment)
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


def order_note_add(*, merchant: Merchant, order: Order, author, text: str) -> OrderNote:
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write something first.")})
    return OrderNote.objects.create(merchant=merchant, order=order, author=author, text=text)
