"""The remorse-risk score: how likely a buyer is to regret, cancel or return, and why.

Each signal adds a fixed weight; the sum is capped at 100. Weights (see docs/risk-score.md):

    repeated tracking visits (3 or more)          +20   the buyer keeps checking: worry
    many tracking visits (6 or more)              +10   on top of the above
    shipment delayed, failed or in exception      +25   the promise is slipping
    estimated delivery passed, not delivered      +20   late is the top reason to cancel
    an email to the buyer bounced or failed       +15   they have heard nothing from us
    high order value (merchant setting)           +10   more money, more doubt
    first-time customer                           +10   no earlier experience to trust
    a call already found the buyer concerned      +30   they told us so
    rated the order LOW_RATING (2) stars or fewer +30   they told the tracking page

A score of HIGH_RISK (40) or more is "high risk": the queue shows it first and
`risk.raised` is emitted once per call when it first gets there.

The whole queue is scored in one SQL query: every signal is a subquery
annotation on the calls queryset (`annotate_risk_signals`), and
`assess()` turns one annotated call into a score and its reasons in words.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications.models import Touchpoint
from orders.models import PROBLEM_STATUSES, Order, Shipment, ShipmentStatus
from tracking.models import DeliveryInstruction, Rating, TrackingVisit

WEIGHT_VISITS = 20
WEIGHT_MANY_VISITS = 10
WEIGHT_SHIPMENT_PROBLEM = 25
WEIGHT_DELIVERY_OVERDUE = 20
WEIGHT_EMAIL_FAILED = 15
WEIGHT_HIGH_VALUE = 10
WEIGHT_FIRST_TIME = 10
WEIGHT_CONCERNED = 30
WEIGHT_LOW_RATING = 30
WEIGHT_DELIVERY_ANSWER = 15

# Ratings at or under this many stars (of 5) need a call: see followups/ratings.py.
LOW_RATING = 2

VISITS_REPEATED = 3
VISITS_MANY = 6
HIGH_RISK = 40
MAX_SCORE = 100


@dataclass(frozen=True)
class RiskAssessment:
    score: int
    reasons: list[str]

    @property
    def level(self) -> str:
        if self.score >= HIGH_RISK:
            return "high"
        return "medium" if self.score >= HIGH_RISK // 2 else "low"

    @property
    def is_high(self) -> bool:
        return self.score >= HIGH_RISK


def annotate_risk_signals(calls: QuerySet, *, merchant, today: dt.date) -> QuerySet:
    """Add the signals to a FollowUpCall queryset as subqueries: one query for any number."""
    from followups.models import CallAttempt, Outcome

    order_ref = OuterRef("order_id")
    visits = (
        TrackingVisit.objects.for_merchant(merchant)
        .filter(order=order_ref)
        .order_by()
        .values("order")
        .annotate(n=Count("id"))
        .values("n")
    )
    shipments = Shipment.objects.for_merchant(merchant).filter(order=order_ref)
    return calls.annotate(
        risk_visits=Coalesce(Subquery(visits, output_field=IntegerField()), Value(0)),
        risk_shipment_problem=Exists(shipments.filter(status__in=PROBLEM_STATUSES)),
        risk_delivery_overdue=Exists(
            shipments.filter(estimated_delivery__lt=today).exclude(status=ShipmentStatus.DELIVERED)
        ),
        risk_email_failed=Exists(
            Touchpoint.objects.for_merchant(merchant).filter(
                order=order_ref,
                channel=Touchpoint.Channel.EMAIL,
                status=Touchpoint.Status.FAILED,
            )
        ),
        risk_returning=Exists(
            Order.objects.for_merchant(merchant).filter(
                customer=OuterRef("order__customer_id"),
                placed_at__lt=OuterRef("order__placed_at"),
            )
        ),
        risk_low_rating=Subquery(
            Rating.objects.for_merchant(merchant)
            .filter(order=order_ref, score__lte=LOW_RATING)
            .values("score")[:1],
            output_field=IntegerField(),
        ),
        risk_concerned=Exists(
            CallAttempt.objects.for_merchant(merchant).filter(
                call__order=order_ref, outcome=Outcome.REACHED_CONCERNED
            )
        ),
        risk_delivery_answer=Exists(
            DeliveryInstruction.objects.for_merchant(merchant).filter(order=order_ref)
        ),
    )


def assess(call, *, high_value: Decimal) -> RiskAssessment:
    """Score one call annotated by `annotate_risk_signals` (its order must be loaded)."""
    score = 0
    reasons: list[str] = []
    if call.risk_low_rating:
        score += WEIGHT_LOW_RATING
        reasons.append(_("Rated the order %(score)d of 5 stars") % {"score": call.risk_low_rating})
    if call.risk_concerned:
        score += WEIGHT_CONCERNED
        reasons.append(_("Sounded concerned on an earlier call"))
    if call.risk_shipment_problem:
        score += WEIGHT_SHIPMENT_PROBLEM
        reasons.append(_("Shipment is delayed or has a problem"))
    if call.risk_delivery_answer:
        # The buyer had to step in after a failed delivery: worth a word on the call.
        score += WEIGHT_DELIVERY_ANSWER
        reasons.append(_("Answered a failed delivery"))
    if call.risk_delivery_overdue:
        score += WEIGHT_DELIVERY_OVERDUE
        reasons.append(_("Estimated delivery date has passed"))
    if call.risk_visits >= VISITS_REPEATED:
        score += WEIGHT_VISITS
        if call.risk_visits >= VISITS_MANY:
            score += WEIGHT_MANY_VISITS
        reasons.append(
            ngettext(
                "Checked the tracking page %(n)d time",
                "Checked the tracking page %(n)d times",
                call.risk_visits,
            )
            % {"n": call.risk_visits}
        )
    if call.risk_email_failed:
        score += WEIGHT_EMAIL_FAILED
        reasons.append(_("An email to the buyer bounced"))
    if call.order.total >= high_value:
        score += WEIGHT_HIGH_VALUE
        reasons.append(_("High order value"))
    if not call.risk_returning:
        score += WEIGHT_FIRST_TIME
        reasons.append(_("First order with you"))
    return RiskAssessment(score=min(score, MAX_SCORE), reasons=reasons)
