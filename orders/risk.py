"""Which open orders need a human now: the signals the dashboard's overview, metrics
and orders list share (a parcel in trouble, a failed message, a low rating, a concerned
call, a buyer who keeps looking)."""

import datetime as dt

from django.db.models import Count
from django.utils import timezone

from notifications.models import Touchpoint
from orders.models import PROBLEM_STATUSES, Order, Shipment
from postpurchase.models import Merchant
from tracking.models import Rating, TrackingVisit

# "Keeps asking where it is": this many tracking visits within this many recent days.
REPEATED_VISITS = 3
REPEATED_VISITS_DAYS = 30


def orders_at_risk(*, merchant: Merchant, now: dt.datetime | None = None):
    """Open orders that need a human now.

    A shipment in trouble, a failed message, a low rating, a call that found the buyer
    concerned, or three or more tracking visits in the last 30 days (the buyer keeps
    asking "where is it?"; visits of long ago say nothing about now, and counting them
    all would read every visit the merchant ever had).

    The order ids come from a UNION of short lists, each read from an index that holds
    only the rows that matter (partial indexes on problem shipments, failed touchpoints,
    low ratings and concerned calls; visits by date), so the cost follows the number of
    problems, not the merchant's years of orders.
    """
    from followups.models import FollowUpCall, Outcome

    now = now or timezone.now()
    problem_shipments = Shipment.objects.for_merchant(merchant).filter(status__in=PROBLEM_STATUSES)
    failed_messages = Touchpoint.objects.for_merchant(merchant).filter(
        status=Touchpoint.Status.FAILED
    )
    low_ratings = Rating.objects.for_merchant(merchant).filter(score__lte=2)
    concerned_calls = FollowUpCall.objects.for_merchant(merchant).filter(
        outcome=Outcome.REACHED_CONCERNED
    )
    repeated_visits = (
        TrackingVisit.objects.for_merchant(merchant)
        .filter(visited_at__gte=now - dt.timedelta(days=REPEATED_VISITS_DAYS))
        .values("order_id")
        .annotate(n=Count("id"))
        .filter(n__gte=REPEATED_VISITS)
    )
    order_ids = [
        rows.order_by().values("order_id")
        for rows in (
            problem_shipments,
            failed_messages,
            low_ratings,
            concerned_calls,
            repeated_visits,
        )
    ]
    return Order.objects.for_merchant(merchant).filter(
        cancelled_at__isnull=True, pk__in=order_ids[0].union(*order_ids[1:], all=True)
    )
