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
            Prefetch("touchpoints", queryset=Touchpoint.all_merchants.order_by("due_at", "id")),
        )
    )
