"""The numbers that matter, for a period and the one before it.

Every figure is one aggregate query (COUNT/AVG with FILTER, GROUP BY day or channel),
never a Python loop over rows, so a year of orders costs the same few queries as a
week. Periods are whole days in the merchant's time zone: [start, end).
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Avg, Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from followups.models import FollowUpCall, Outcome
from notifications.models import Touchpoint
from orders.models import Order, Shipment, ShipmentEvent, ShipmentStatus
from postpurchase.models import Merchant
from tracking.models import Rating, TrackingVisit
from tracking.selectors import crosssell_stats

TP = Touchpoint
SENT_STATUSES = [TP.Status.SENT, TP.Status.DELIVERED]


@dataclass(frozen=True)
class Period:
    start: dt.datetime
    end: dt.datetime
    tz: dt.tzinfo

    @property
    def days(self) -> list[dt.date]:
        first = self.start.astimezone(self.tz).date()
        last = (self.end - dt.timedelta(microseconds=1)).astimezone(self.tz).date()
        return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]

    def previous(self) -> "Period":
        first = self.start.astimezone(self.tz).date()
        length = len(self.days)
        return period_for_dates(tz=self.tz, first=first - dt.timedelta(days=length), days=length)

    def q(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})


def period_for_dates(*, tz, first: dt.date, days: int) -> Period:
    start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(first + dt.timedelta(days=days), dt.time.min, tzinfo=tz)
    return Period(start=start, end=end, tz=tz)


def period_last_days(*, merchant: Merchant, days: int, now: dt.datetime | None = None) -> Period:
    """The last `days` whole local days, today included."""
    tz = merchant.tzinfo
    today = (now or timezone.now()).astimezone(tz).date()
    return period_for_dates(tz=tz, first=today - dt.timedelta(days=days - 1), days=days)


def period_between(*, merchant: Merchant, first: dt.date, last: dt.date) -> Period:
    return period_for_dates(tz=merchant.tzinfo, first=first, days=(last - first).days + 1)


def _ratio(part, whole) -> float | None:
    return round(part / whole, 4) if whole else None


def _touchpoint_fields() -> set[str]:
    return {f.name for f in Touchpoint._meta.get_fields()}


def count_per_order(rows):
    """How many of `rows` belong to the order, as a subquery on the rows' order index.

    For the orders of a period this reads only their rows, whatever the size of the
    table; a join lets the planner read all of the merchant's rows when it misjudges
    how many orders the period has (it does, for a period before a merchant's history).
    """
    per_order = rows.filter(order=OuterRef("pk")).order_by().values("order").annotate(n=Count("id"))
    return Coalesce(Subquery(per_order.values("n"), output_field=IntegerField()), 0)


def congratulation_emails(*, merchant: Merchant, period: Period) -> dict:
    """Congratulation emails sent in the period, and how many were delivered, opened, clicked."""
    fields = _touchpoint_fields()
    aggregates = {
        "sent": Count("id"),
        "delivered": Count(
            "id", filter=Q(delivered_at__isnull=False) | Q(status=TP.Status.DELIVERED)
        ),
        "failed": Count("id", filter=Q(status=TP.Status.FAILED)),
    }
    # Opens and clicks exist once the engine records them (provider webhooks).
    if "opened_at" in fields:
        aggregates["opened"] = Count("id", filter=Q(opened_at__isnull=False))
    # A click is the buyer following the email's tracking link: a visit tagged "email".
    aggregates["clicked"] = Count("id", filter=Q(followed_link=True))
    followed = TrackingVisit.objects.for_merchant(merchant).filter(
        order=OuterRef("order_id"), source=TrackingVisit.Source.EMAIL
    )
    row = (
        Touchpoint.objects.for_merchant(merchant)
        .filter(period.q("sent_at"), kind=TP.Kind.CONGRATULATION, channel=TP.Channel.EMAIL)
        .annotate(followed_link=Exists(followed))
        .aggregate(**aggregates)
    )
    row.setdefault("opened", None)
    row.setdefault("clicked", None)
    row["delivery_rate"] = _ratio(row["delivered"], row["sent"])
    row["open_rate"] = (
        _ratio(row["opened"] or 0, row["sent"]) if row["opened"] is not None else None
    )
    row["click_rate"] = (
        _ratio(row["clicked"] or 0, row["sent"]) if row["clicked"] is not None else None
    )
    return row


def shipment_updates(*, merchant: Merchant, period: Period) -> dict:
    """Shipment updates planned in the period, per channel: sent, delivered, failed, skipped."""
    rows = (
        Touchpoint.objects.for_merchant(merchant)
        .filter(period.q("due_at"), kind=TP.Kind.SHIPMENT_UPDATE)
        .values("channel")
        .annotate(
            planned=Count("id"),
            sent=Count("id", filter=Q(sent_at__isnull=False)),
            delivered=Count(
                "id", filter=Q(delivered_at__isnull=False) | Q(status=TP.Status.DELIVERED)
            ),
            failed=Count("id", filter=Q(status=TP.Status.FAILED)),
            skipped=Count("id", filter=Q(status=TP.Status.SKIPPED)),
        )
        .order_by("channel")
    )
    by_channel = {
        channel: {"planned": 0, "sent": 0, "delivered": 0, "failed": 0, "skipped": 0}
        for channel in (TP.Channel.EMAIL, TP.Channel.SMS)
    }
    for row in rows:
        by_channel[row.pop("channel")] = row
    for row in by_channel.values():
        row["delivery_rate"] = _ratio(row["delivered"], row["sent"])
    totals = {
        key: sum(row[key] for row in by_channel.values())
        for key in ("planned", "sent", "delivered", "failed", "skipped")
    }
    totals["delivery_rate"] = _ratio(totals["delivered"], totals["sent"])
    return {"by_channel": by_channel, "total": totals}


def tracking_visits(*, merchant: Merchant, period: Period) -> dict:
    """Visits to tracking pages (the "where is my order?" signal) of orders placed in the period.

    `visits_per_order` counts every visit of those orders; `share_over_two` is the share of
    those orders whose buyers came back more than twice.
    """
    row = (
        Order.objects.for_merchant(merchant)
        .filter(period.q("placed_at"))
        .annotate(visit_count=count_per_order(TrackingVisit.objects.for_merchant(merchant)))
        .aggregate(
            orders=Count("id"),
            visits=Sum("visit_count"),
            visited=Count("id", filter=Q(visit_count__gt=0)),
            over_two=Count("id", filter=Q(visit_count__gt=2)),
        )
    )
    row["visits"] = row["visits"] or 0
    row["visits_per_order"] = round(row["visits"] / row["orders"], 2) if row["orders"] else None
    row["share_over_two"] = _ratio(row["over_two"], row["orders"])
    row["visits_in_period"] = (
        TrackingVisit.objects.for_merchant(merchant).filter(period.q("visited_at")).count()
    )
    return row


def follow_up_calls(*, merchant: Merchant, period: Period, now: dt.datetime | None = None) -> dict:
    """Follow-up calls due in the period: completed, skipped, and overdue (still open, past due)."""
    now = now or timezone.now()
    return (
        FollowUpCall.objects.for_merchant(merchant)
        .filter(period.q("due_at"))
        .aggregate(**_call_counts(now))
    )


def _call_counts(now: dt.datetime) -> dict:
    C = FollowUpCall.Status
    return {
        "due": Count("id"),
        "done": Count("id", filter=Q(status=C.COMPLETED)),
        "overdue": Count("id", filter=Q(status__in=FollowUpCall.OPEN_STATUSES, due_at__lt=now)),
        "skipped": Count("id", filter=Q(status__in=[C.SKIPPED, C.CANCELLED])),
        "happy": Count("id", filter=Q(outcome=Outcome.REACHED_HAPPY)),
        "concerned": Count("id", filter=Q(outcome=Outcome.REACHED_CONCERNED)),
        "not_reached": Count(
            "id", filter=Q(outcome__in=[Outcome.VOICEMAIL, Outcome.NO_ANSWER, Outcome.WRONG_NUMBER])
        ),
    }


def calls_by_account_manager(
    *, merchant: Merchant, period: Period, now: dt.datetime | None = None
) -> list[dict]:
    """Calls due in the period per assignee, with their outcomes: one GROUP BY query."""
    now = now or timezone.now()
    rows = (
        FollowUpCall.objects.for_merchant(merchant)
        .filter(period.q("due_at"))
        .values("assignee_id", "assignee__full_name", "assignee__email")
        .annotate(**_call_counts(now))
        .order_by("assignee__full_name", "assignee__email")
    )
    return [
        {
            **row,
            "name": row["assignee__full_name"] or row["assignee__email"] or "",
        }
        for row in rows
    ]


def outcomes(*, merchant: Merchant, period: Period) -> dict:
    """Cancellations and returns of orders placed in the period; ratings given in it."""
    shipments = Shipment.objects.for_merchant(merchant)
    orders = (
        Order.objects.for_merchant(merchant)
        .filter(period.q("placed_at"))
        .annotate(
            shipment_count=count_per_order(shipments),
            returned_count=count_per_order(
                shipments.filter(status=ShipmentStatus.RETURNED_TO_SENDER)
            ),
        )
        .aggregate(
            orders=Count("id"),
            cancelled=Count("id", filter=Q(cancelled_at__isnull=False)),
            shipments=Coalesce(Sum("shipment_count"), 0),
            returned=Coalesce(Sum("returned_count"), 0),
        )
    )
    ratings = (
        Rating.objects.for_merchant(merchant)
        .filter(period.q("created_at"))
        .aggregate(
            ratings=Count("id"),
            average=Avg("score"),
            **{f"stars_{n}": Count("id", filter=Q(score=n)) for n in range(1, 6)},
        )
    )
    return {
        **orders,
        "cancellation_rate": _ratio(orders["cancelled"], orders["orders"]),
        "return_rate": _ratio(orders["returned"], orders["shipments"]),
        **ratings,
        "average": round(float(ratings["average"]), 2) if ratings["average"] is not None else None,
    }


def failed_deliveries(*, merchant: Merchant, period: Period) -> dict:
    """Parcels of the period's orders that failed to arrive (attempt failed, problem, pickup
    point): how many the buyer answered (tracking/delivery/), and of those, how many were
    delivered rather than returned."""
    from tracking.delivery.models import DeliveryInstruction
    from tracking.delivery.services import NEEDS_ANSWER

    failed = Shipment.objects.for_merchant(merchant).filter(
        Exists(
            ShipmentEvent.objects.for_merchant(merchant).filter(
                shipment=OuterRef("pk"), status__in=NEEDS_ANSWER
            )
        )
    )
    answered = failed.filter(
        Exists(DeliveryInstruction.objects.for_merchant(merchant).filter(shipment=OuterRef("pk")))
    )
    row = (
        Order.objects.for_merchant(merchant)
        .filter(period.q("placed_at"))
        .annotate(
            failed_count=count_per_order(failed),
            answered_count=count_per_order(answered),
            delivered_count=count_per_order(answered.filter(status=ShipmentStatus.DELIVERED)),
            returned_count=count_per_order(
                answered.filter(status=ShipmentStatus.RETURNED_TO_SENDER)
            ),
        )
        .aggregate(
            failed=Coalesce(Sum("failed_count"), 0),
            answered=Coalesce(Sum("answered_count"), 0),
            answered_delivered=Coalesce(Sum("delivered_count"), 0),
            answered_returned=Coalesce(Sum("returned_count"), 0),
        )
    )
    return {
        **row,
        "answer_rate": _ratio(row["answered"], row["failed"]),
        # Of the answered parcels that reached an end: delivered, not sent back.
        "saved_rate": _ratio(
            row["answered_delivered"], row["answered_delivered"] + row["answered_returned"]
        ),
    }


def daily_counts(*, queryset, field: str, period: Period) -> list[int]:
    """Rows per local day of the period, zero-filled: one GROUP BY query."""
    counts = dict(
        queryset.filter(period.q(field))
        .annotate(day=TruncDate(F(field), tzinfo=period.tz))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    return [counts.get(day, 0) for day in period.days]


def daily_series(*, merchant: Merchant, period: Period) -> dict:
    return {
        "orders": daily_counts(
            queryset=Order.objects.for_merchant(merchant), field="placed_at", period=period
        ),
        "visits": daily_counts(
            queryset=TrackingVisit.objects.for_merchant(merchant),
            field="visited_at",
            period=period,
        ),
    }


def cross_sell(*, merchant: Merchant, period: Period) -> dict:
    """Impressions, clicks, click-through rate and attributed revenue of cross-sell slots."""
    stats = crosssell_stats(merchant=merchant, since=period.start, until=period.end)
    return {
        "impressions": stats.impressions,
        "clicks": stats.clicks,
        "ctr": _ratio(stats.clicks, stats.impressions),
        "attributed_orders": stats.attributed_orders,
        "attributed_revenue": stats.attributed_revenue,
    }


def all_metrics(*, merchant: Merchant, period: Period, now: dt.datetime | None = None) -> dict:
    return {
        "congratulations": congratulation_emails(merchant=merchant, period=period),
        "shipment_updates": shipment_updates(merchant=merchant, period=period),
        "visits": tracking_visits(merchant=merchant, period=period),
        "calls": follow_up_calls(merchant=merchant, period=period, now=now),
        "outcomes": outcomes(merchant=merchant, period=period),
        "cross_sell": cross_sell(merchant=merchant, period=period),
        "failed_deliveries": failed_deliveries(merchant=merchant, period=period),
        "calls_by_manager": calls_by_account_manager(merchant=merchant, period=period, now=now),
        "series": daily_series(merchant=merchant, period=period),
    }


# The rows of the CSV export and the comparison cards: (section, key, label, kind).
FLAT_METRICS = [
    ("congratulations", "sent", "Congratulation emails sent", "count"),
    ("congratulations", "delivered", "Congratulation emails delivered", "count"),
    ("congratulations", "opened", "Congratulation emails opened", "count"),
    ("congratulations", "clicked", "Congratulation emails clicked", "count"),
    ("congratulations", "delivery_rate", "Congratulation delivery rate", "rate"),
    ("shipment_updates.total", "sent", "Shipment updates sent", "count"),
    ("shipment_updates.by_channel.email", "sent", "Shipment updates sent by email", "count"),
    ("shipment_updates.by_channel.sms", "sent", "Shipment updates sent by SMS", "count"),
    ("shipment_updates.total", "delivery_rate", "Shipment update delivery rate", "rate"),
    ("visits", "visits_per_order", "Tracking visits per order", "number"),
    ("visits", "share_over_two", "Orders visited more than twice", "rate"),
    ("calls", "due", "Follow-up calls due", "count"),
    ("calls", "done", "Follow-up calls done", "count"),
    ("calls", "overdue", "Follow-up calls overdue", "count"),
    ("calls", "happy", "Calls: reached, happy", "count"),
    ("calls", "concerned", "Calls: reached, concerned", "count"),
    ("cross_sell", "impressions", "Cross-sell impressions", "count"),
    ("cross_sell", "clicks", "Cross-sell clicks", "count"),
    ("cross_sell", "ctr", "Cross-sell click-through rate", "rate"),
    ("cross_sell", "attributed_revenue", "Cross-sell attributed revenue", "money"),
    ("outcomes", "orders", "Orders placed", "count"),
    ("outcomes", "cancellation_rate", "Cancellation rate", "rate"),
    ("outcomes", "return_rate", "Return-to-sender rate", "rate"),
    ("outcomes", "average", "Average rating", "number"),
    ("outcomes", "ratings", "Ratings received", "count"),
    ("failed_deliveries", "failed", "Failed deliveries", "count"),
    ("failed_deliveries", "answer_rate", "Failed deliveries the buyer answered", "rate"),
    ("failed_deliveries", "saved_rate", "Answered failed deliveries delivered", "rate"),
]


def lookup(data: dict, path: str, key: str):
    node = data
    for part in path.split("."):
        node = (node or {}).get(part)
    return (node or {}).get(key)
