"""Business actions of the call queue: creating, assigning, working and preparing calls."""

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from followups import risk
from followups.models import CallAttempt, CallSettings, FollowUp, FollowUpCall, Outcome
from followups.scheduling import next_business_day_start
from notifications.history import touchpoint_transition, touchpoints_transition
from notifications.models import Touchpoint
from orders.models import Order
from postpurchase.events import emit
from postpurchase.inserts import insert_new
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


def _returning_customer_orders(*, merchant: Merchant, orders: list[Order]) -> set[int]:
    """Pks of those orders whose buyer had ordered before them, as one by one would see it.

    `orders` are new, in arrival order: an order sees the buyer's older orders and the
    ones that arrived before it in `orders`, never one that arrived after it.
    """
    customer_ids = {order.customer_id for order in orders}
    first_before = dict(
        Order.objects.for_merchant(merchant)
        .filter(customer_id__in=customer_ids)
        .exclude(pk__in=[order.pk for order in orders])
        .values("customer_id")
        .annotate(first=Min("placed_at"))
        .values_list("customer_id", "first")
    )
    returning = set()
    for position, order in enumerate(orders):
        earlier = [first_before.get(order.customer_id)] + [
            other.placed_at for other in orders[:position] if other.customer_id == order.customer_id
        ]
        if any(placed is not None and placed < order.placed_at for placed in earlier):
            returning.add(order.pk)
    return returning


def _skip_reason(*, order: Order, touchpoint: Touchpoint, rules: CallSettings, returning) -> str:
    if touchpoint.status == Touchpoint.Status.SKIPPED:
        return "no_consent_or_phone"
    if rules.min_order_value is not None and order.total < rules.min_order_value:
        return "below_value"
    if rules.first_time_customers_only and order.pk in returning:
        return "returning_customer"
    return ""


def calls_create_for_touchpoints(
    *,
    merchant: Merchant,
    touchpoints: list[Touchpoint],
    rules: CallSettings | None = None,
    team_exists: bool = True,
) -> list[FollowUpCall]:
    """One FollowUpCall per new followup_call touchpoint, in the planner's transaction.

    In bulk, in a constant number of queries however many orders a batch brings, and
    exactly as if the orders had come one by one in `touchpoints`' order. Calls
    outside the merchant's rules are kept as `skipped` (with the reason), so the queue
    can say why an order is not on it.
    """
    touchpoints = [tp for tp in touchpoints if tp.kind == Touchpoint.Kind.FOLLOWUP_CALL]
    if not touchpoints:
        return []
    rules = rules or call_settings_for(merchant=merchant)
    returning = (
        _returning_customer_orders(merchant=merchant, orders=[tp.order for tp in touchpoints])
        if rules.first_time_customers_only
        else set()
    )
    calls, ruled_out = [], {}
    for touchpoint in touchpoints:
        reason = _skip_reason(
            order=touchpoint.order, touchpoint=touchpoint, rules=rules, returning=returning
        )
        calls.append(
            FollowUpCall(
                merchant=merchant,
                touchpoint=touchpoint,
                order=touchpoint.order,
                due_at=touchpoint.due_at,
                status=FollowUpCall.Status.SKIPPED if reason else FollowUpCall.Status.SCHEDULED,
                skip_reason=reason,
            )
        )
        if reason and touchpoint.status != Touchpoint.Status.SKIPPED:
            ruled_out.setdefault(reason, []).append(touchpoint)
    for reason, skipped in ruled_out.items():
        touchpoints_transition(
            touchpoints=skipped,
            to_status=Touchpoint.Status.SKIPPED,
            from_statuses=(Touchpoint.Status.SCHEDULED,),
            reason=f"call rules: {reason}",
            error=f"call rules: {reason}",
        )
    calls_assign(merchant=merchant, calls=[c for c in calls if c.is_open], team_exists=team_exists)
    insert_new(FollowUpCall.objects.for_merchant(merchant), calls)
    return calls


class _Rotation:
    """The fair rotation: the active account manager with the fewest open calls (then
    fewest ever, then the longest-standing membership) gets the next call.

    Built once for many calls: it locks the merchant's account-manager memberships
    first, so two transactions assigning at once take turns and each counts the other's
    committed calls, never both picking the same person from the same counts. Counts are
    read after the lock (a statement of its own: READ COMMITTED sees what the previous
    holder committed) and kept up to date in memory as calls are handed out.
    """

    def __init__(self, merchant: Merchant, *, team_exists: bool = True):
        # team_exists=False: the caller just saw there is nobody to lock or count.
        self.members = (
            list(
                account_managers(merchant=merchant)
                .select_for_update(of=("self",))
                .order_by("id")
                .values_list("id", "user_id")
            )
            if team_exists
            else []
        )
        self.open: dict[int, int] = {}
        self.ever: dict[int, int] = {}
        if self.members:
            counts = (
                FollowUpCall.objects.for_merchant(merchant)
                .filter(assignee_id__in=[user_id for _, user_id in self.members])
                .values("assignee_id")
                .annotate(
                    open=Count("id", filter=Q(status__in=FollowUpCall.OPEN_STATUSES)),
                    ever=Count("id"),
                )
            )
            for row in counts:
                self.open[row["assignee_id"]] = row["open"]
                self.ever[row["assignee_id"]] = row["ever"]

    def pick(self) -> int | None:
        if not self.members:
            return None
        _, user_id = min(
            self.members,
            key=lambda m: (self.open.get(m[1], 0), self.ever.get(m[1], 0), m[0]),
        )
        return user_id

    def count(self, user_id: int) -> None:
        """One more open call for `user_id` (whoever assigned it)."""
        self.open[user_id] = self.open.get(user_id, 0) + 1
        self.ever[user_id] = self.ever.get(user_id, 0) + 1


def account_managers(*, merchant: Merchant):
    """The memberships the rotation hands calls to."""
    return Membership.objects.for_merchant(merchant).filter(
        role=Membership.Role.ACCOUNT_MANAGER, is_active=True, user__is_active=True
    )


def _own_account_managers(*, merchant: Merchant, calls: list[FollowUpCall]) -> set[int]:
    """Those of the buyers' own account managers who are still active on the team."""
    wanted = {c.order.customer.account_manager_id for c in calls} - {None}
    if not wanted:
        return set()
    return set(
        Membership.objects.for_merchant(merchant)
        .filter(user_id__in=wanted, is_active=True, user__is_active=True)
        .values_list("user_id", flat=True)
    )


def calls_assign(
    *, merchant: Merchant, calls: list[FollowUpCall], team_exists: bool = True
) -> None:
    """Set each call's assignee, in order: the buyer's own account manager if they have
    one, else the fair rotation. Saving the calls is the caller's part.

    `team_exists=False`: the caller knows the merchant has no account manager."""
    own = _own_account_managers(merchant=merchant, calls=calls)
    needs_rotation = any(c.order.customer.account_manager_id not in own for c in calls)
    # Built before the first call is handed out, so its counts include every call here.
    rotation = _Rotation(merchant, team_exists=team_exists) if needs_rotation else None
    for call in calls:
        manager_id = call.order.customer.account_manager_id
        if manager_id not in own:
            manager_id = rotation.pick()
        if manager_id is None:
            continue
        call.assignee_id = manager_id
        if rotation is not None:
            rotation.count(manager_id)


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
        unassigned = list(
            due.filter(assignee__isnull=True)
            .select_related("order__customer")
            .order_by("due_at", "id")
        )
        calls_assign(merchant=merchant, calls=unassigned)
        for call in unassigned:
            call.updated_at = timezone.now()
        FollowUpCall.objects.for_merchant(merchant).bulk_update(
            [c for c in unassigned if c.assignee_id], ["assignee", "updated_at"]
        )
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
