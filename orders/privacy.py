"""Buyers' data rights: export everything held about a buyer, erase a buyer, retention.

Erasing anonymises in place: personal fields are blanked, `Customer.erased_at` is
set, and rows that feed the merchant's figures (orders, totals, items, touchpoint
outcomes, rating scores, visit counts) stay, so metrics do not change. Other apps
that keep personal data about a buyer register an exporter and an eraser with
`register_buyer_data`, so export and erase stay complete as the product grows.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from orders.models import Customer, Order, ShipmentEvent
from postpurchase.models import Merchant, User
from postpurchase.services import audit_record
from postpurchase.tenancy import get_for_merchant


@dataclass(frozen=True)
class BuyerDataHandler:
    name: str
    export: Callable[..., object]  # (merchant, customer, orders) -> JSON-serialisable
    erase: Callable[..., int]  # (merchant, customer, orders) -> rows changed


_HANDLERS: dict[str, BuyerDataHandler] = {}


def register_buyer_data(*, name: str, export, erase) -> None:
    """Let an app add its own buyer data (call notes, endorsements…) to export and erase."""
    _HANDLERS[name] = BuyerDataHandler(name=name, export=export, erase=erase)


def _calls_export(*, merchant, customer, orders) -> list:
    from followups.models import CallAttempt, FollowUpCall

    calls = FollowUpCall.objects.for_merchant(merchant).filter(order__in=orders).order_by("due_at")
    notes = {}
    for attempt in CallAttempt.objects.for_merchant(merchant).filter(call__in=calls):
        notes.setdefault(attempt.call_id, []).append(
            {"at": _iso(attempt.created_at), "outcome": attempt.outcome, "note": attempt.note}
        )
    return [
        {
            "due_at": _iso(call.due_at),
            "status": call.status,
            "outcome": call.outcome,
            "notes": call.notes,
            "attempts": notes.get(call.pk, []),
        }
        for call in calls
    ]


def _calls_erase(*, merchant, customer, orders) -> int:
    """Staff notes about a call are free text about the buyer: blank them, keep outcomes."""
    from followups.models import Ambassador, CallAttempt, FollowUpCall

    calls = FollowUpCall.objects.for_merchant(merchant).filter(order__in=orders)
    changed = calls.update(notes="")
    changed += CallAttempt.objects.for_merchant(merchant).filter(call__in=calls).update(note="")
    changed += (
        Ambassador.objects.for_merchant(merchant)
        .filter(customer=customer)
        .update(consent=False, opted_out_at=timezone.now(), company="", company_domain="")
    )
    return changed


register_buyer_data(name="follow_up_calls", export=_calls_export, erase=_calls_erase)


def get_customer(*, merchant: Merchant, customer_id) -> Customer:
    return get_for_merchant(Customer, merchant=merchant, pk=customer_id)


def customers_find(*, merchant: Merchant, email: str = "", phone: str = "") -> QuerySet[Customer]:
    customers = Customer.objects.for_merchant(merchant).filter(erased_at__isnull=True)
    if email:
        return customers.filter(email__iexact=email.strip())
    if phone:
        return customers.filter(phone=phone.strip())
    return customers.none()


def _iso(value):
    return value.isoformat() if value else None


def customer_export(*, merchant: Merchant, customer: Customer) -> dict:
    """Everything Postpurchase holds about one buyer of `merchant`, as JSON-ready data."""
    from notifications.models import Touchpoint
    from tracking.models import Rating, TrackingVisit

    orders = list(
        Order.objects.for_merchant(merchant)
        .filter(customer=customer)
        .prefetch_related("items", "shipments")
        .order_by("placed_at", "id")
    )
    order_ids = [o.pk for o in orders]
    touchpoints = Touchpoint.objects.for_merchant(merchant).filter(order_id__in=order_ids)
    events = ShipmentEvent.objects.for_merchant(merchant).filter(shipment__order_id__in=order_ids)
    visits = TrackingVisit.objects.for_merchant(merchant).filter(order_id__in=order_ids)
    ratings = {
        r.order_id: r for r in Rating.objects.for_merchant(merchant).filter(order_id__in=order_ids)
    }
    events_by_shipment: dict[int, list] = {}
    for event in events.order_by("occurred_at", "id"):
        events_by_shipment.setdefault(event.shipment_id, []).append(
            {
                "status": event.status,
                "occurred_at": _iso(event.occurred_at),
                "location": event.location,
                "message": event.message,
            }
        )
    touchpoints_by_order: dict[int, list] = {}
    for tp in touchpoints.order_by("due_at", "id"):
        touchpoints_by_order.setdefault(tp.order_id, []).append(
            {
                "kind": tp.kind,
                "channel": tp.channel,
                "status": tp.public_status,
                "due_at": _iso(tp.due_at),
                "sent_at": _iso(tp.sent_at),
            }
        )
    visits_by_order: dict[int, list] = {}
    for visit in visits.order_by("visited_at", "id"):
        visits_by_order.setdefault(visit.order_id, []).append(
            {"visited_at": _iso(visit.visited_at), "source": visit.source}
        )
    data = {
        "exported_at": _iso(timezone.now()),
        "merchant": merchant.name,
        "customer": {
            "id": customer.pk,
            "email": customer.email,
            "phone": customer.phone,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "external_id": customer.external_id,
            "locale": customer.locale,
            "timezone": customer.timezone,
            "consent": {
                "email": customer.consent_email,
                "sms": customer.consent_sms,
                "call": customer.consent_call,
            },
            "created_at": _iso(customer.created_at),
            "erased_at": _iso(customer.erased_at),
        },
        "orders": [
            {
                "id": order.pk,
                "external_id": order.external_id,
                "number": order.number,
                "placed_at": _iso(order.placed_at),
                "currency": order.currency,
                "total": str(order.total),
                "locale": order.locale,
                "shipping_address": {
                    "line1": order.shipping_line1,
                    "line2": order.shipping_line2,
                    "city": order.shipping_city,
                    "postal_code": order.shipping_postal_code,
                    "region": order.shipping_region,
                    "country": order.shipping_country,
                },
                "tracking_url": order.tracking_url,
                "items": [
                    {
                        "sku": item.sku,
                        "name": item.name,
                        "quantity": item.quantity,
                        "unit_price": str(item.unit_price),
                    }
                    for item in order.items.all()
                ],
                "shipments": [
                    {
                        "carrier": s.carrier,
                        "tracking_number": s.tracking_number,
                        "status": s.status,
                        "estimated_delivery": _iso(s.estimated_delivery),
                        "events": events_by_shipment.get(s.pk, []),
                    }
                    for s in order.shipments.all()
                ],
                "touchpoints": touchpoints_by_order.get(order.pk, []),
                "tracking_page_visits": visits_by_order.get(order.pk, []),
                "rating": (
                    {"score": ratings[order.pk].score, "comment": ratings[order.pk].comment}
                    if order.pk in ratings
                    else None
                ),
            }
            for order in orders
        ],
    }
    for handler in _HANDLERS.values():
        data[handler.name] = handler.export(merchant=merchant, customer=customer, orders=orders)
    return data


@transaction.atomic
def customer_erase(
    *, merchant: Merchant, customer: Customer, actor: User | None = None, via: str = "api"
) -> Customer:
    """Anonymise one buyer. Idempotent: erasing an erased buyer changes nothing more."""
    from notifications.models import Touchpoint
    from tracking.models import Rating, TrackingVisit

    customer = Customer.objects.for_merchant(merchant).select_for_update().get(pk=customer.pk)
    orders = Order.objects.for_merchant(merchant).filter(customer=customer)
    order_ids = list(orders.values_list("pk", flat=True))
    already = customer.erased_at is not None
    customer.email = ""
    customer.phone = ""
    customer.first_name = ""
    customer.last_name = ""
    customer.external_id = ""
    customer.timezone = ""
    customer.consent_email = False
    customer.consent_sms = False
    customer.consent_call = False
    customer.erased_at = customer.erased_at or timezone.now()
    customer.save()
    orders.update(
        shipping_line1="",
        shipping_line2="",
        shipping_city="",
        shipping_postal_code="",
        shipping_region="",
        referred_by="",
        updated_at=timezone.now(),
    )
    touchpoints = Touchpoint.objects.for_merchant(merchant).filter(order_id__in=order_ids)
    # Nothing more may reach an erased buyer; what happened stays as counts.
    touchpoints.filter(status=Touchpoint.Status.SCHEDULED).update(
        status=Touchpoint.Status.CANCELLED
    )
    touchpoints.update(error="", recipient="")
    Rating.objects.for_merchant(merchant).filter(order_id__in=order_ids).update(comment="")
    TrackingVisit.objects.for_merchant(merchant).filter(order_id__in=order_ids).update(
        client_hash=""
    )
    orders_list = list(orders)
    for handler in _HANDLERS.values():
        handler.erase(merchant=merchant, customer=customer, orders=orders_list)
    if not already:
        audit_record(
            merchant=merchant,
            actor=actor,
            action="customer.erased",
            target=f"customer:{customer.pk}",
            details={"orders": len(order_ids), "via": via},
        )
    return customer


def retention_days() -> int:
    return settings.BUYER_RETENTION_DAYS


def customers_erase_expired(*, now=None, limit: int = 1000) -> int:
    """Erase buyers whose latest order is older than BUYER_RETENTION_DAYS (0 = keep).

    System work across merchants, run daily by beat; each buyer in its own
    transaction so one failure does not undo the others.
    """
    days = retention_days()
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    expired = (
        Customer.objects.unscoped(reason="daily retention pass over every merchant's buyers")
        .filter(erased_at__isnull=True)
        .annotate(last_order=Max("orders__placed_at"))
        .filter(last_order__lt=cutoff)
        .select_related("merchant")
        .order_by("pk")[:limit]
    )
    erased = 0
    for customer in expired:
        customer_erase(merchant=customer.merchant, customer=customer, via="retention")
        erased += 1
    return erased
