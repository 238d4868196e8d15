"""Reads of the call queue shared by the queue page, the API and the morning task."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from followups import risk
from followups.endorsements import ambassador_match
from followups.models import CallAttempt, CallDial, Endorsement, FollowUpCall
from followups.risk import LOW_RATING
from followups.services import call_settings_for, end_of_local_day
from notifications.models import Touchpoint
from orders.content import order_content
from orders.models import Shipment, ShipmentStatus
from postpurchase.models import Membership, Merchant
from postpurchase.templatetags.dashboard_format import local_date
from tracking.models import Rating


@dataclass
class QueueEntry:
    call: FollowUpCall
    risk: risk.RiskAssessment
    overdue: bool

    @property
    def order(self):
        return self.call.order


def scored_calls(*, merchant: Merchant, now: dt.datetime | None = None) -> QuerySet:
    """The merchant's calls with their order, buyer, assignee and risk signals: one query."""
    now = now or timezone.now()
    today = now.astimezone(merchant.tzinfo).date()
    calls = FollowUpCall.objects.for_merchant(merchant).select_related(
        "order__customer", "assignee"
    )
    return risk.annotate_risk_signals(calls, merchant=merchant, today=today)


def entries_for(calls, *, merchant: Merchant, now: dt.datetime | None = None) -> list[QueueEntry]:
    """Score calls annotated by `scored_calls` (no further queries)."""
    now = now or timezone.now()
    high_value = call_settings_for(merchant=merchant).high_value_threshold
    local = now.astimezone(merchant.tzinfo)
    start_of_today = dt.datetime.combine(local.date(), dt.time.min, tzinfo=merchant.tzinfo)
    return [
        QueueEntry(
            call=call,
            risk=risk.assess(call, high_value=high_value),
            overdue=call.due_at < start_of_today,
        )
        for call in calls
    ]


def call_queue(
    *, merchant: Merchant, assignee_id: int | None = None, now: dt.datetime | None = None
) -> list[QueueEntry]:
    """Today's and overdue open calls, riskiest first, then the most valuable.

    Snoozed calls stay out until their time. `assignee_id=None` means everyone's.
    Nobody is called about a cancelled order or after asking to be erased.
    """
    now = now or timezone.now()
    calls = scored_calls(merchant=merchant, now=now).filter(
        Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now),
        status__in=FollowUpCall.OPEN_STATUSES,
        due_at__lt=end_of_local_day(merchant=merchant, now=now),
        order__cancelled_at__isnull=True,
        order__customer__erased_at__isnull=True,
    )
    if assignee_id is not None:
        calls = calls.filter(assignee_id=assignee_id)
    entries = entries_for(calls, merchant=merchant, now=now)
    entries.sort(key=lambda e: (-e.risk.score, -e.order.total, e.call.due_at, e.call.pk))
    return entries


UPCOMING_LIMIT = 10


def upcoming_calls(
    *,
    merchant: Merchant,
    assignee_id: int | None = None,
    now: dt.datetime | None = None,
    limit: int = UPCOMING_LIMIT,
) -> list[FollowUpCall]:
    """The next open calls not in today's queue yet: due later, or snoozed till later.

    Each has `next_at`, when it comes into the queue, and they come soonest first, so
    the queue can say what is coming (on a Saturday: Monday's calls) instead of nothing.
    """
    now = now or timezone.now()
    calls = (
        FollowUpCall.objects.for_merchant(merchant)
        .select_related("order__customer", "assignee")
        .filter(
            status__in=FollowUpCall.OPEN_STATUSES,
            order__cancelled_at__isnull=True,
            order__customer__erased_at__isnull=True,
        )
        .filter(
            Q(due_at__gte=end_of_local_day(merchant=merchant, now=now)) | Q(snoozed_until__gt=now)
        )
        .annotate(next_at=Greatest("due_at", Coalesce("snoozed_until", "due_at")))
    )
    if assignee_id is not None:
        calls = calls.filter(assignee_id=assignee_id)
    return list(calls.order_by("next_at", "id")[:limit])


def call_list(
    *,
    merchant: Merchant,
    date: dt.date | None = None,
    assignee_id: int | None = None,
    status: str | None = None,
    now: dt.datetime | None = None,
) -> QuerySet:
    """Calls for the API: filtered by local due date, assignee and status; by due time."""
    now = now or timezone.now()
    calls = scored_calls(merchant=merchant, now=now).prefetch_related(
        Prefetch(
            "history", queryset=CallAttempt.objects.for_merchant(merchant).select_related("by")
        )
    )
    if date is not None:
        start = dt.datetime.combine(date, dt.time.min, tzinfo=merchant.tzinfo)
        calls = calls.filter(due_at__gte=start, due_at__lt=start + dt.timedelta(days=1))
    if assignee_id is not None:
        calls = calls.filter(assignee_id=assignee_id)
    if status:
        calls = calls.filter(status=status)
    return calls.order_by("due_at", "id")


def team_members(*, merchant: Merchant) -> list[Membership]:
    return list(
        Membership.objects.for_merchant(merchant)
        .select_related("user")
        .filter(is_active=True, user__is_active=True)
        .order_by("user__full_name", "user__email")
    )


@dataclass
class CallDetail:
    """Everything the account manager needs on the phone with one buyer."""

    entry: QueueEntry
    items: list
    shipments: list
    touchpoints: list
    history: list
    talking_points: list[str] = field(default_factory=list)
    endorsement: Endorsement | None = None
    testimonial: object | None = None
    last_dial: object | None = None  # the latest click-to-call and what Twilio reported


def _delivery_facts(shipments: list[Shipment], today: dt.date) -> list[str]:
    if not shipments:
        return [_("Not shipped yet: the order is being prepared.")]
    facts = []
    for shipment in shipments:
        status = shipment.get_status_display()
        if shipment.status == ShipmentStatus.DELIVERED:
            facts.append(_("Delivered by %(carrier)s.") % {"carrier": shipment.carrier})
        elif shipment.estimated_delivery and shipment.estimated_delivery >= today:
            facts.append(
                _("%(carrier)s: %(status)s, expected %(date)s.")
                % {
                    "carrier": shipment.carrier,
                    "status": status.lower(),
                    "date": local_date(shipment.estimated_delivery),
                }
            )
        elif shipment.estimated_delivery:
            facts.append(
                _(
                    "%(carrier)s: %(status)s, was expected %(date)s – apologise and say what you will do."
                )
                % {
                    "carrier": shipment.carrier,
                    "status": status.lower(),
                    "date": local_date(shipment.estimated_delivery),
                }
            )
        else:
            facts.append(
                _("%(carrier)s: %(status)s.") % {"carrier": shipment.carrier, "status": status}
            )
    return facts


def _rating_points(*, merchant: Merchant, order) -> list[str]:
    """A low rating comes first: the buyer already said what is wrong."""
    rating = (
        Rating.objects.for_merchant(merchant).filter(order=order, score__lte=LOW_RATING).first()
    )
    if rating is None:
        return []
    if rating.comment:
        return [
            _(
                "They rated the order %(score)d of 5 stars and wrote: “%(comment)s”. "
                "Listen first, then say what you will do."
            )
            % {"score": rating.score, "comment": rating.comment}
        ]
    return [
        _("They rated the order %(score)d of 5 stars: ask what went wrong.")
        % {"score": rating.score}
    ]


def call_detail(*, merchant: Merchant, entry: QueueEntry, now: dt.datetime | None = None):
    now = now or timezone.now()
    today = now.astimezone(merchant.tzinfo).date()
    order = entry.order
    items = list(order.items.all())
    shipments = list(Shipment.objects.for_merchant(merchant).filter(order=order))
    touchpoints = list(
        Touchpoint.objects.for_merchant(merchant)
        .filter(order=order)
        .exclude(kind=Touchpoint.Kind.FOLLOWUP_CALL)
        .order_by("due_at", "id")
    )
    history = list(
        CallAttempt.objects.for_merchant(merchant)
        .filter(call__order__customer_id=order.customer_id)
        .select_related("by", "call__order")
        .order_by("-created_at", "-id")[:10]
    )
    content = order_content(order=order)
    rules = call_settings_for(merchant=merchant)
    endorsement = (
        Endorsement.objects.for_merchant(merchant)
        .select_related("ambassador__customer")
        .filter(order=order)
        .first()
    )
    points = _rating_points(merchant=merchant, order=order)
    points.append(
        _("Thank them for choosing %(shop)s; ask how they feel about the purchase.")
        % {"shop": merchant.name}
    )
    points += [benefit.text for benefit in content.benefits]
    points += _delivery_facts(shipments, today)
    if rules.offer_text:
        points.append(_("Offer: %(offer)s") % {"offer": rules.offer_text})
    if endorsement is None:
        match = ambassador_match(merchant=merchant, order=order, now=now)
        if match.peer is not None:
            peer = match.peer.full_name or match.peer.email
            if order.referred_by:
                points.append(
                    _(
                        "%(peer)s recommended us to them: mention it and thank them for trusting %(peer)s."
                    )
                    % {"peer": peer}
                )
            else:
                points.append(
                    _("%(peer)s from the same company is a customer too: mention it.")
                    % {"peer": peer}
                )
    return CallDetail(
        entry=entry,
        items=items,
        shipments=shipments,
        touchpoints=touchpoints,
        history=history,
        talking_points=points,
        endorsement=endorsement,
        testimonial=content.testimonials[0] if content.testimonials else None,
        last_dial=CallDial.objects.for_merchant(merchant).filter(call=entry.call).first(),
    )


def ambassador_list(*, merchant: Merchant) -> list:
    """Ambassadors with how often they were asked this month, for the settings screen."""
    from django.db.models import Count

    from followups.endorsements import month_start
    from followups.models import Ambassador

    since = month_start(merchant=merchant, now=timezone.now())
    return list(
        Ambassador.objects.for_merchant(merchant)
        .select_related("customer")
        .annotate(
            asked_this_month=Count("endorsements", filter=Q(endorsements__requested_at__gte=since)),
            notes_sent=Count("endorsements", filter=Q(endorsements__status="sent")),
        )
        .order_by("company", "customer__first_name")
    )
