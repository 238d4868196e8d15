"""The dashboard's orders list: each order's real status, its parcels, filters, and why it needs attention.

An order has no status column: what it is follows from its shipments (none yet, on the
way, all delivered, one sent back) and whether it was cancelled. Filters are EXISTS
subqueries on the merchant's shipments, so they cost the same on a big shop.
"""

import datetime as dt
from dataclasses import dataclass, field

from django import forms
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from notifications.models import Touchpoint
from orders.models import PROBLEM_STATUSES, Order, Shipment, ShipmentStatus
from orders.risk import REPEATED_VISITS, REPEATED_VISITS_DAYS, orders_at_risk
from postpurchase.models import Merchant
from tracking.models import Rating, TrackingVisit

ORDER_STATUSES = [
    ("not_shipped", pgettext_lazy("order status", "Not shipped")),
    ("shipped", pgettext_lazy("order status", "On the way")),
    ("delivered", pgettext_lazy("order status", "Delivered")),
    ("returned", pgettext_lazy("order status", "Returned")),
    ("cancelled", pgettext_lazy("order status", "Cancelled")),
]
PARTLY_DELIVERED = pgettext_lazy("order status", "Partly delivered")
# Badge colour of each status (dashboard.css).
STATUS_TONE = {
    "not_shipped": "inactive",
    "shipped": "blue",
    "partly_delivered": "blue",
    "delivered": "green",
    "returned": "red",
    "cancelled": "cancelled",
}


class OrderFilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"placeholder": gettext_lazy("Order number, email or name"), "type": "search"}
        ),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any status")), *ORDER_STATUSES],
    )
    shipment = forms.ChoiceField(
        label=gettext_lazy("Shipment status"),
        required=False,
        choices=[("", gettext_lazy("Any shipment status")), *ShipmentStatus.choices],
    )
    attention = forms.BooleanField(
        label=gettext_lazy("Needs attention"),
        required=False,
        widget=forms.CheckboxInput(attrs={"data-autosubmit": ""}),
    )


def _shipments(merchant: Merchant):
    return Shipment.objects.for_merchant(merchant).filter(order=OuterRef("pk"))


def orders_filter(*, orders: QuerySet, merchant: Merchant, status="", shipment="", attention=False):
    """`orders` narrowed to one order status, one shipment status, and/or those at risk."""
    shipments = _shipments(merchant)
    if status == "cancelled":
        orders = orders.filter(cancelled_at__isnull=False)
    elif status:
        orders = orders.filter(cancelled_at__isnull=True)
        returned = Exists(shipments.filter(status=ShipmentStatus.RETURNED_TO_SENDER))
        if status == "not_shipped":
            orders = orders.filter(~Exists(shipments))
        elif status == "returned":
            orders = orders.filter(returned)
        elif status == "delivered":
            orders = orders.filter(
                Exists(shipments), ~Exists(shipments.exclude(status=ShipmentStatus.DELIVERED))
            )
        elif status == "shipped":
            orders = orders.filter(
                Exists(shipments.exclude(status=ShipmentStatus.DELIVERED)), ~returned
            )
    if shipment:
        orders = orders.filter(Exists(shipments.filter(status=shipment)))
    if attention:
        orders = orders.filter(pk__in=orders_at_risk(merchant=merchant).values("pk"))
    return orders


@dataclass
class OrderRow:
    """One line of the list: the order, what it is now, its parcels and why to look."""

    order: Order
    status: str
    status_label: str
    shipments: list = field(default_factory=list)
    attention: list[str] = field(default_factory=list)

    @property
    def tone(self) -> str:
        return STATUS_TONE[self.status]


def order_status(order: Order, shipments: list[Shipment]) -> tuple[str, str]:
    """(code, label) of what an order is now, from its shipments."""
    labels = dict(ORDER_STATUSES)
    statuses = [s.status for s in shipments]
    if order.cancelled_at:
        code = "cancelled"
    elif not statuses:
        code = "not_shipped"
    elif ShipmentStatus.RETURNED_TO_SENDER in statuses:
        code = "returned"
    elif all(status == ShipmentStatus.DELIVERED for status in statuses):
        code = "delivered"
    elif ShipmentStatus.DELIVERED in statuses:
        return "partly_delivered", str(PARTLY_DELIVERED)
    else:
        code = "shipped"
    return code, str(labels[code])


def order_rows(*, merchant: Merchant, orders: list[Order]) -> list[OrderRow]:
    """Rows for a page of orders, in a fixed number of queries whatever the page size."""
    ids = [order.pk for order in orders]
    by_order: dict[int, list[Shipment]] = {}
    for shipment in Shipment.objects.for_merchant(merchant).filter(order_id__in=ids).order_by("id"):
        by_order.setdefault(shipment.order_id, []).append(shipment)
    reasons = attention_reasons(merchant=merchant, order_ids=ids)
    rows = []
    for order in orders:
        shipments = by_order.get(order.pk, [])
        code, label = order_status(order, shipments)
        rows.append(
            OrderRow(
                order=order,
                status=code,
                status_label=label,
                shipments=shipments,
                attention=[] if order.cancelled_at else reasons.get(order.pk, []),
            )
        )
    return rows


def attention_reasons(
    *, merchant: Merchant, order_ids: list[int], now: dt.datetime | None = None
) -> dict[int, list[str]]:
    """Why each of these orders needs a human, in words: the signals of `orders_at_risk`."""
    from followups.models import FollowUpCall, Outcome

    now = now or timezone.now()
    reasons: dict[int, list[str]] = {}

    def add(order_id, text):
        if text not in reasons.setdefault(order_id, []):
            reasons[order_id].append(text)

    if not order_ids:
        return reasons
    problems = Shipment.objects.for_merchant(merchant).filter(
        order_id__in=order_ids, status__in=PROBLEM_STATUSES
    )
    for shipment in problems.order_by("id"):
        add(shipment.order_id, str(shipment.get_status_display()))
    failed = Touchpoint.objects.for_merchant(merchant).filter(
        order_id__in=order_ids, status=Touchpoint.Status.FAILED
    )
    for order_id, channel in failed.values_list("order_id", "channel").order_by("id"):
        add(
            order_id,
            _("An SMS to the buyer failed")
            if channel == Touchpoint.Channel.SMS
            else _("An email to the buyer failed"),
        )
    low = Rating.objects.for_merchant(merchant).filter(order_id__in=order_ids, score__lte=2)
    for order_id, score in low.values_list("order_id", "score"):
        add(order_id, _("Rated the order %(score)d of 5") % {"score": score})
    concerned = FollowUpCall.objects.for_merchant(merchant).filter(
        order_id__in=order_ids, outcome=Outcome.REACHED_CONCERNED
    )
    for order_id in concerned.values_list("order_id", flat=True):
        add(order_id, _("Sounded concerned on a call"))
    visits = (
        TrackingVisit.objects.for_merchant(merchant)
        .filter(
            order_id__in=order_ids,
            visited_at__gte=now - dt.timedelta(days=REPEATED_VISITS_DAYS),
        )
        .values("order_id")
        .annotate(n=Count("id"))
        .filter(n__gte=REPEATED_VISITS)
    )
    for row in visits:
        add(
            row["order_id"],
            ngettext(
                "Tracking page visited %(n)d time in %(days)d days",
                "Tracking page visited %(n)d times in %(days)d days",
                row["n"],
            )
            % {"n": row["n"], "days": REPEATED_VISITS_DAYS},
        )
    return reasons


def filtered_orders(*, merchant: Merchant, orders: QuerySet, data: dict) -> QuerySet:
    """The list's orders for cleaned `OrderFilterForm` data."""
    return orders_filter(
        orders=orders,
        merchant=merchant,
        status=data.get("status", ""),
        shipment=data.get("shipment", ""),
        attention=data.get("attention", False),
    )
