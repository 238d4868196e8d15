"""Business actions of the call queue: creating, assigning, working and preparing calls."""

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from followups import risk
from followups.models import CallAttempt, CallSettings, FollowUp, FollowUpCall, Outcome
from followups.scheduling import next_business_day_start
from notifications.history import touchpoint_transition
from notifications.models import Touchpoint
from orders.models import Order
from postpurchase.events import emit
from postpurchase.models import Membership, Merchant, User
from postpurchase.services import audit_record
from postpurchase.tenancy import get_for_merchant

logger = logging.getLogger(__name__)

# Outcomes after which nobody calls again about this order.
FINAL_OUTCOMES = {
    Outcome.REACHED_HAPPY,
    Outcome.VOICEMAIL,
    Outcome.WRONG_NUMBER,
    Outcome.DO_NOT_CALL,
}


def call_settings_for(*, merchant: Merchant) -> CallSettings:
    """The merchant's call rules; an unsaved default when they never set any."""
    found = CallSettings.objects.for_merchant(merchant).first()
    return found or CallSettings(merchant=merchant)


def get_call(*, merchant: Merchant, call_id) -> FollowUpCall:
    return get_for_merchant(FollowUpCall, merchant=merchant, pk=call_id)


# --- creating and assigning -------------------------------------------------------------


def _skip_reason(*, order: Order, touchpoint: Touchpoint, rules: CallSettings) -> str:
    if touchpoint.status == Touchpoint.Status.SKIPPED:
        return "no_consent_or_phone"
    if rules.min_order_value is not None and order.total < rules.min_order_value:
        return "below_value"
    if rules.first_time_customers_only and (
        Order.objects.for_merchant(order.merchant)
        .filter(customer_id=order.customer_id, placed_at__lt=order.placed_at)
        .exists()
    ):
        return "returning_customer"
    return ""


def calls_create_for_touchpoints(*, merchant: Merchant, touchpoints: list[Touchpoint]) -> list:
    """One FollowUpCall per new followup_call touchpoint, in the planner's transaction.

    Calls outside the merchant's rules are kept as `skipped` (with the reason), so
    the queue can say why an order is not on it.
    """
    rules = call_settings_for(merchant=merchant)
    created = []
    for touchpoint in touchpoints:
        if touchpoint.kind != Touchpoint.Kind.FOLLOWUP_CALL:
            continue
        order = touchpoint.order
        reason = _skip_reason(order=order, touchpoint=touchpoint, rules=rules)
        call = FollowUpCall.objects.create(
            merchant=merchant,
            touchpoint=touchpoint,
            order=order,
            due_at=touchpoint.due_at,
            status=FollowUpCall.Status.SKIPPED if reason else FollowUpCall.Status.SCHEDULED,
            skip_reason=reason,
        )
        if reason and touchpoint.status != Touchpoint.Status.SKIPPED:
            touchpoint_transition(
                touchpoint=touchpoint,
                to_status=Touchpoint.Status.SKIPPED,
                from_statuses=(Touchpoint.Status.SCHEDULED,),
                reason=f"call rules: {reason}",
                error=f"call rules: {reason}",
            )
        if not reason:
            call_assign(merchant=merchant, call=call)
        created.append(call)
    return created


def _rotation_pick(*, merchant: Merchant) -> User | None:
    """The active account manager with the fewest open calls (then fewest ever, then oldest).

    Locks the merchant's account-manager memberships first, so two orders arriving
    at once are assigned one after the other and never both to the same person
    because both saw the same counts.
    """
    members = list(
        Membership.objects.for_merchant(merchant)
        .select_for_update()
        .filter(role=Membership.Role.ACCOUNT_MANAGER, is_active=True, user__is_active=True)
        .order_by("id")
    )
    if not members:
        return None
    user_ids = [m.user_id for m in members]
    calls = FollowUpCall.objects.for_merchant(merchant).filter(assignee_id__in=user_ids)
    open_load = dict(
        calls.filter(status__in=FollowUpCall.OPEN_STATUSES)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    ever = dict(calls.values("assignee_id").annotate(n=Count("id")).values_list("assignee_id", "n"))
    chosen = min(members, key=lambda m: (open_load.get(m.user_id, 0), ever.get(m.user_id, 0), m.id))
    return chosen.user


def _own_account_manager(*, merchant: Merchant, order: Order) -> User | None:
    manager_id = order.customer.account_manager_id
    if manager_id is None:
        return None
    member = (
        Membership.objects.for_merchant(merchant)
        .select_related("user")
        .filter(user_id=manager_id, is_active=True, user__is_active=True)
        .first()
    )
    return member.user if member else None


def call_assign(*, merchant: Merchant, call: FollowUpCall) -> FollowUpCall:
    """The buyer's own account manager if they have one, else the fair rotation."""
    with transaction.atomic():
        assignee = _own_account_manager(merchant=merchant, order=call.order) or _rotation_pick(
            merchant=merchant
        )
        if assignee is not None:
            call.assignee = assignee
            call.save(update_fields=["assignee", "updated_at"])
    return call


def call_reassign(*, merchant: Merchant, call: FollowUpCall, assignee_id, by: User | None):
    with transaction.atomic():
        call = FollowUpCall.objects.for_merchant(merchant).select_for_update().get(pk=call.pk)
        member = (
            Membership.objects.for_merchant(merchant)
            .select_related("user")
            .filter(user_id=assignee_id, is_active=True)
            .first()
        )
        if member is None:
            raise ValidationError({"assignee": [_("Choose someone on your team.")]})
        previous = call.assignee_id
        call.assignee = member.user
        call.save(update_fields=["assignee", "updated_at"])
        audit_record(
            merchant=merchant,
            actor=by,
            action="call.reassigned",
            target=f"call:{call.pk}",
            details={"from": previous, "to": member.user_id},
        )
    return call


def call_snooze(*, merchant: Merchant, call: FollowUpCall, until: dt.datetime, by: User | None):
    """Hide the call from the queue until `until` (it stays assigned and open)."""
    with transaction.atomic():
        call = FollowUpCall.objects.for_merchant(merchant).select_for_update().get(pk=call.pk)
        if not call.is_open:
            raise ValidationError({"snooze": [_("This call is already finished.")]})
        call.snoozed_until = until
        if until > call.due_at:
            call.due_at = until
        call.save(update_fields=["snoozed_until", "due_at", "updated_at"])
    return call


# --- working a call ---------------------------------------------------------------------


def call_record_outcome(
    *,
    merchant: Merchant,
    call: FollowUpCall,
    outcome: str,
    follow_up: str = "",
    note: str = "",
    by: User | None = None,
    via: str = CallAttempt.Via.QUEUE,
) -> FollowUpCall:
    """Record what happened on a call and everything it causes, in one transaction.

    no_answer (and a concerned buyer to call again) moves the call to the next
    business day until the merchant's attempt limit; do_not_call withdraws the
    buyer's call consent; escalation tells the owners. Emits `call.completed`.
    """
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": [_("Unknown outcome.")]})
    if outcome == Outcome.REACHED_CONCERNED:
        if follow_up not in FollowUp.values:
            raise ValidationError(
                {"follow_up": [_("Say what happens next for a concerned buyer.")]}
            )
    else:
        follow_up = ""
    rules = call_settings_for(merchant=merchant)
    now = timezone.now()
    with transaction.atomic():
        call = (
            FollowUpCall.objects.for_merchant(merchant)
            .select_for_update()
            .select_related("order__customer", "touchpoint")
            .get(pk=call.pk)
        )
        if not call.is_open:
            raise ValidationError({"outcome": [_("This call is already finished.")]})
        CallAttempt.objects.create(
            merchant=merchant,
            call=call,
            by=by,
            outcome=outcome,
            follow_up=follow_up,
            note=note.strip(),
            via=via,
            created_at=now,
        )
        call.attempts += 1
        call.outcome = outcome
        call.follow_up = follow_up
        if note.strip():
            call.notes = "\n".join(filter(None, [call.notes, note.strip()]))
        try_again = outcome == Outcome.NO_ANSWER or follow_up == FollowUp.CALL_AGAIN
        if try_again and call.attempts < rules.max_attempts:
            call.status = FollowUpCall.Status.SCHEDULED
            call.due_at = next_business_day_start(merchant=merchant, after=now)
            call.snoozed_until = None
        else:
            call.status = FollowUpCall.Status.COMPLETED
            call.completed_at = now
        call.save()
        _sync_touchpoint(call, now=now)
        if outcome == Outcome.DO_NOT_CALL:
            _withdraw_call_consent(merchant=merchant, call=call, by=by)
        if follow_up == FollowUp.ESCALATE:
            _escalate(merchant=merchant, call=call, note=note, by=by)
        emit(
            merchant=merchant,
            name="call.completed",
            data={
                "call_id": call.pk,
                "order_id": call.order_id,
                "order_external_id": call.order.external_id,
                "outcome": outcome,
                "follow_up": follow_up,
                "attempts": call.attempts,
                "status": call.status,
                "next_due_at": call.due_at.isoformat() if call.is_open else None,
            },
        )
        if outcome == Outcome.REACHED_CONCERNED:
            calls_refresh_risk(merchant=merchant, calls=[call])
    return call


def _sync_touchpoint(call: FollowUpCall, *, now) -> None:
    """The order's followup_call touchpoint mirrors the call: its due time, then done."""
    touchpoint = call.touchpoint
    Touchpoint.objects.for_merchant(call.merchant).filter(pk=touchpoint.pk).update(
        attempts=call.attempts, due_at=call.due_at, updated_at=now
    )
    if not call.is_open:
        touchpoint_transition(
            touchpoint=touchpoint,
            to_status=Touchpoint.Status.DONE,
            from_statuses=(Touchpoint.Status.SCHEDULED,),
            reason=f"call outcome: {call.outcome}",
            sent_at=now,
        )


def _withdraw_call_consent(*, merchant: Merchant, call: FollowUpCall, by) -> None:
    customer = call.order.customer
    customer.consent_call = False
    customer.save(update_fields=["consent_call", "updated_at"])
    # Other open calls to the same buyer go too: they asked us not to call.
    others = FollowUpCall.objects.for_merchant(merchant).filter(
        order__customer=customer, status__in=FollowUpCall.OPEN_STATUSES
    )
    Touchpoint.objects.for_merchant(merchant).filter(pk__in=others.values("touchpoint_id")).update(
        status=Touchpoint.Status.CANCELLED, updated_at=timezone.now()
    )
    others.update(status=FollowUpCall.Status.CANCELLED, skip_reason="do_not_call")
    audit_record(
        merchant=merchant,
        actor=by,
        action="customer.call_consent_withdrawn",
        target=f"customer:{customer.pk}",
        details={"call_id": call.pk},
    )


def _escalate(*, merchant: Merchant, call: FollowUpCall, note: str, by) -> None:
    from django.conf import settings
    from django.core.mail import send_mail

    owners = list(
        Membership.objects.for_merchant(merchant)
        .filter(role=Membership.Role.OWNER, is_active=True)
        .values_list("user__email", flat=True)
    )
    audit_record(
        merchant=merchant,
        actor=by,
        action="call.escalated",
        target=f"call:{call.pk}",
        details={"order": call.order.number},
    )
    if not owners:
        return
    order = call.order
    body = _(
        "%(who)s spoke to %(buyer)s about order %(order)s and they are concerned.\n\n"
        "Note: %(note)s\n\nOpen the call queue: %(url)s"
    ) % {
        "who": by.get_full_name() if by else _("An account manager"),
        "buyer": order.customer.full_name or order.customer.phone,
        "order": order.number,
        "note": note.strip() or "—",
        "url": f"{settings.PUBLIC_BASE_URL}/calls/?call={call.pk}",
    }
    subject = _("Escalated: a concerned buyer on order %(order)s") % {"order": order.number}
    transaction.on_commit(lambda: send_mail(subject, body, None, owners, fail_silently=True))


# --- risk -------------------------------------------------------------------------------


def calls_refresh_risk(*, merchant: Merchant, calls: list[FollowUpCall]) -> list[int]:
    """Emit `risk.raised` for calls that crossed the high-risk line; once per call."""
    rules = call_settings_for(merchant=merchant)
    today = timezone.now().astimezone(merchant.tzinfo).date()
    scored = risk.annotate_risk_signals(
        FollowUpCall.objects.for_merchant(merchant)
        .filter(pk__in=[c.pk for c in calls], risk_raised_at__isnull=True)
        .select_related("order"),
        merchant=merchant,
        today=today,
    )
    raised = []
    for call in scored:
        assessment = risk.assess(call, high_value=rules.high_value_threshold)
        if not assessment.is_high:
            continue
        # A conditional update: two refreshes at once cannot both emit.
        won = (
            FollowUpCall.objects.for_merchant(merchant)
            .filter(pk=call.pk, risk_raised_at__isnull=True)
            .update(risk_raised_at=timezone.now())
        )
        if won:
            emit(
                merchant=merchant,
                name="risk.raised",
                data={
                    "call_id": call.pk,
                    "order_id": call.order_id,
                    "order_external_id": call.order.external_id,
                    "score": assessment.score,
                    "reasons": assessment.reasons,
                },
            )
            raised.append(call.pk)
    return raised


# --- the morning --------------------------------------------------------------------------


def end_of_local_day(*, merchant: Merchant, now: dt.datetime) -> dt.datetime:
    local = now.astimezone(merchant.tzinfo)
    tomorrow = local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time.min, tzinfo=merchant.tzinfo)


def call_queue_prepare(*, merchant: Merchant, now: dt.datetime | None = None) -> int:
    """Make the merchant's queue for today ready: due calls queued and assigned, risk checked."""
    now = now or timezone.now()
    due = FollowUpCall.objects.for_merchant(merchant).filter(
        status__in=FollowUpCall.OPEN_STATUSES,
        due_at__lt=end_of_local_day(merchant=merchant, now=now),
    )
    with transaction.atomic():
        for call in due.filter(assignee__isnull=True).select_related("order__customer"):
            call_assign(merchant=merchant, call=call)
        moved = due.filter(status=FollowUpCall.Status.SCHEDULED).update(
            status=FollowUpCall.Status.QUEUED, updated_at=now
        )
        calls_refresh_risk(merchant=merchant, calls=list(due.only("pk")))
    return moved


def call_queues_prepare_all(*, now: dt.datetime | None = None) -> int:
    """Every active merchant's queue; a failure in one does not stop the others."""
    total = 0
    for merchant in Merchant.objects.filter(is_active=True).order_by("id"):
        try:
            total += call_queue_prepare(merchant=merchant, now=now)
        except Exception:
            logger.exception("preparing the call queue of merchant %s failed", merchant.pk)
    return total


# --- the merchant's rules ---------------------------------------------------------------

CALL_SETTINGS_FIELDS = [
    "min_order_value",
    "first_time_customers_only",
    "max_attempts",
    "offer_text",
    "high_value_threshold",
    "ambassador_monthly_cap",
    "caller_id",
]


def call_settings_update(*, merchant: Merchant, data: dict, by: User | None) -> CallSettings:
    with transaction.atomic():
        rules, _created = CallSettings.objects.for_merchant(merchant).get_or_create(
            merchant=merchant
        )
        changed = {}
        for name in CALL_SETTINGS_FIELDS:
            if name in data and getattr(rules, name) != data[name]:
                setattr(rules, name, data[name])
                changed[name] = str(data[name])
        rules.full_clean()
        rules.save()
        if changed:
            audit_record(
                merchant=merchant, actor=by, action="call_settings.updated", details=changed
            )
    return rules
