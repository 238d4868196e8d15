"""Reads of orders that views, tasks and pages share."""

from django.db.models import Prefetch, QuerySet

from notifications.models import Touchpoint
from orders.models import Order
from postpurchase.models import Merchant


def order_list(*, merchant: Merchant) -> QuerySet[Order]:
    return Order.objects.for_merchant(merchant).order_by("-placed_at", "-id")


def order_detail_queryset(*, merchant: Merchant) -> QuerySet[Order]:
    return (
        Order.objects.for_merchant(merchant)
        .select_related("customer")
        .prefetch_related(
            "items",
            "shipments",
            Prefetch(
                "touchpoints",
                queryset=Touchpoint.objects.unscoped(
                    reason="prefetch: only the touchpoints of the orders read in scope"
                ).order_by("due_at", "id"),
            ),
        )
    )


def order_detail_prefetched(order: Order, *, items, shipments, touchpoints) -> Order:
    """Hand `order` its detail relations as order_detail_queryset would have prefetched them.

    For an order just written by this request: what it wrote is what a read would find.
    Filled the way Django's prefetch_related fills them (a queryset with its results).
    """
    known = {
        "items": sorted(items, key=lambda line: (line.position, line.pk)),
        "shipments": list(shipments),
        "touchpoints": sorted(touchpoints, key=lambda tp: (tp.due_at, tp.pk)),
    }
    order._prefetched_objects_cache = {}
    for name, rows in known.items():
        queryset = getattr(order, name).all()
        queryset._result_cache = rows
        queryset._prefetch_done = True
        order._prefetched_objects_cache[name] = queryset
    return order
