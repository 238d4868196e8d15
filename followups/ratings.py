"""A low rating on the tracking page puts the buyer in today's call queue."""

from django.db import transaction
from django.utils import timezone

from followups.models import FollowUpCall
from followups.risk import LOW_RATING
from notifications.history import touchpoint_record_planned
from notifications.models import Touchpoint
from postpurchase.models import Merchant
from postpurchase.services import audit_record


@transaction.atomic
def call_raise_for_rating(*, merchant: Merchant, rating, now=None) -> FollowUpCall | None:
    """Make sure someone calls a buyer who rated the order low, today.

    An open call about the order is brought forward to now (and out of snooze); without
    one, a new call is made for the rating, once: its touchpoint's cause is the
    rating, so a second low answer or a retry finds it instead of making another.
    The comment itself is read from the rating when the call is shown, so a later
    comment reaches the talking points too. Nobody is called who asked not to be.
    """
    from followups.services import calls_assign, calls_refresh_risk

    if rating.score > LOW_RATING:
        return None
    now = now or timezone.now()
    order = rating.order
    customer = order.customer
    if order.cancelled_at or customer.erased_at or not customer.consent_call or not customer.phone:
        return None
    calls = FollowUpCall.objects.for_merchant(merchant).select_for_update()
    call = (
        calls.filter(order=order, status__in=FollowUpCall.OPEN_STATUSES).order_by("due_at").first()
    )
    if call is None:
        touchpoint, created = Touchpoint.objects.for_merchant(merchant).get_or_create(
            order=order,
            kind=Touchpoint.Kind.FOLLOWUP_CALL,
            channel=Touchpoint.Channel.CALL,
            cause=f"rating:{rating.pk}",
            defaults={"merchant": merchant, "due_at": now},
        )
        if not created:
            return calls.filter(touchpoint=touchpoint).first()
        touchpoint_record_planned([touchpoint])
        call = FollowUpCall(merchant=merchant, touchpoint=touchpoint, order=order, due_at=now)
    elif call.due_at > now or call.snoozed_until:
        call.due_at = now
        call.snoozed_until = None
        Touchpoint.objects.for_merchant(merchant).filter(pk=call.touchpoint_id).update(
            due_at=now, updated_at=now
        )
    if call.assignee_id is None:
        calls_assign(merchant=merchant, calls=[call])
    call.status = FollowUpCall.Status.QUEUED
    call.save()
    audit_record(
        merchant=merchant,
        actor=None,
        action="call.raised_by_rating",
        target=f"call:{call.pk}",
        details={"order": order.number, "score": rating.score},
    )
    calls_refresh_risk(merchant=merchant, calls=[call])
    return call
