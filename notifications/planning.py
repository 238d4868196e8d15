"""Planning touchpoints: which contacts an order or a shipment change causes.

Called inside the transaction that writes the cause, so a crash loses neither.
"""

from django.utils import timezone

from followups.planning import followups_plan_for_new_orders
from followups.scheduling import next_business_day_start
from notifications import conf, quiet_hours
from notifications.history import (
    touchpoint_record_planned,
    touchpoint_transition,
    touchpoints_create_planned,
)
from notifications.models import Touchpoint
from notifications.queue import touchpoints_enqueue_on_commit
from notifications.selectors import (
    is_suppressed,
    shipment_channels_enabled,
    suppressed_addresses,
)
from orders.models import Order, Shipment, ShipmentEvent

S = Touchpoint.Status


def touchpoints_plan_for_new_order(
    *, order: Order, suppressed: set[str] | None = None, facts=None
) -> list[Touchpoint]:
    """The congratulation email, due at once, and the next-business-day call."""
    return touchpoints_plan_for_new_orders(orders=[order], suppressed=suppressed, facts=facts)


def touchpoints_plan_for_new_orders(
    *, orders: list[Order], suppressed: set[str] | None = None, facts=None
) -> list[Touchpoint]:
    """The same plan for many new orders of one merchant, in a constant number of queries.

    Batch ingestion calls this once for a thousand orders; a single order is a batch of one.
    `suppressed`: which of the buyers' emails are opted out (suppressed_addresses), when
    the caller already read it in this transaction; None: read here. `facts`: the
    merchant's call-planning facts, likewise (followups.planning.planning_facts_from_row).
    """
    if not orders:
        return []
    merchant = orders[0].merchant
    now = timezone.now()
    if suppressed is None:
        suppressed = suppressed_addresses(
            merchant=merchant,
            channel="email",
            addresses=[o.customer.email for o in orders if o.customer.email],
        )
    planned = []
    for order in orders:
        customer = order.customer
        email_ok = (
            customer.consent_email
            and bool(customer.email)
            and customer.email.lower() not in suppressed
        )
        call_ok = customer.consent_call and bool(customer.phone)
        planned += [
            Touchpoint(
                merchant=merchant,
                order=order,
                kind=Touchpoint.Kind.CONGRATULATION,
                channel=Touchpoint.Channel.EMAIL,
                cause="order",
                due_at=now,
                status=S.SCHEDULED if email_ok else S.SKIPPED,
                error="" if email_ok else "no email consent",
            ),
            Touchpoint(
                merchant=merchant,
                order=order,
                kind=Touchpoint.Kind.FOLLOWUP_CALL,
                channel=Touchpoint.Channel.CALL,
                cause="order",
                due_at=next_business_day_start(merchant=merchant, after=max(order.placed_at, now)),
                status=S.SCHEDULED if call_ok else S.SKIPPED,
                error="" if call_ok else "no call consent",
            ),
        ]
    # New orders have no touchpoints yet, so no conflict can occur and pks come back.
    created = touchpoints_create_planned(Touchpoint.objects.for_merchant(merchant), planned)
    # Calls and endorsement requests, all orders at once; the requests are due at once too.
    created += followups_plan_for_new_orders(orders=orders, touchpoints=created, facts=facts)
    # What is due now (the congratulation, an endorsement request) is queued by beat's
    # due-soon tick (TOUCHPOINT_TICK_SECONDS, 1 s), in batches of TOUCHPOINT_SEND_BATCH:
    # a Celery message per order after commit was a sixth of an ingested order's CPU
    # (#16), and the tick finds a new order's rows as it finds any due row.
    return created


def touchpoints_plan_for_shipment_change(
    *, shipment: Shipment, event: ShipmentEvent
) -> list[Touchpoint]:
    """A shipment_update per channel (email, SMS) for the shipment's new status.

    A channel the merchant's settings turn off for this status, or without
    consent, is planned as `skipped` with the reason. Updates wait a short coalescing
    window, and a newer status supersedes an older one not yet sent, so a burst of
    carrier events sends one message with the latest status. SMS due at night wait
    for the morning (quiet hours) as a later due time.
    """
    merchant = shipment.merchant
    customer = shipment.order.customer
    now = timezone.now()
    enabled = shipment_channels_enabled(merchant=merchant, status=event.status)
    consent = {
        Touchpoint.Channel.EMAIL: customer.consent_email and bool(customer.email),
        Touchpoint.Channel.SMS: customer.consent_sms and bool(customer.phone),
    }
    # The event in the cause: a status that comes back (a second failed attempt after
    # a new delivery run) is news again; a duplicate event never gets here.
    cause = f"shipment:{shipment.pk}:{event.status}:{event.pk}"
    due = now + timezone.timedelta(seconds=conf.coalesce_seconds())
    planned = []
    for channel in (Touchpoint.Channel.EMAIL, Touchpoint.Channel.SMS):
        address = customer.email if channel == Touchpoint.Channel.EMAIL else customer.phone
        # A row even when nothing will go, so the order shows why (settings or consent).
        if channel not in enabled:
            why = f"{event.status} on {channel} is off in the merchant's settings"
        elif not consent[channel]:
            why = f"no {channel} consent"
        elif is_suppressed(merchant=merchant, channel=channel, address=address):
            why = "recipient opted out"
        else:
            why = ""
        allowed = not why
        channel_due = due
        if channel == Touchpoint.Channel.SMS and allowed:
            channel_due = (
                quiet_hours.quiet_until(merchant=merchant, customer=customer, at=due) or due
            )
        planned.append(
            Touchpoint(
                merchant=merchant,
                order=shipment.order,
                kind=Touchpoint.Kind.SHIPMENT_UPDATE,
                channel=channel,
                cause=cause,
                due_at=channel_due,
                status=S.SCHEDULED if allowed else S.SKIPPED,
                error=why,
                payload={"shipment_id": shipment.pk, "status": event.status, "event_id": event.pk},
            )
        )
    _supersede_older_updates(shipment=shipment, cause=cause)
    Touchpoint.objects.for_merchant(merchant).bulk_create(planned, ignore_conflicts=True)
    created = list(
        Touchpoint.objects.for_merchant(merchant).filter(
            order=shipment.order, cause=cause, kind=Touchpoint.Kind.SHIPMENT_UPDATE
        )
    )
    fresh = [tp for tp in created if tp.created_at >= now]
    touchpoint_record_planned(fresh)
    _send_due_after_commit(created)
    return created


def _supersede_older_updates(*, shipment: Shipment, cause: str) -> None:
    """Not-yet-sent updates of this shipment's older statuses will never be news again."""
    older = (
        Touchpoint.objects.for_merchant(shipment.merchant)
        .filter(
            order_id=shipment.order_id,
            kind=Touchpoint.Kind.SHIPMENT_UPDATE,
            status=S.SCHEDULED,
            cause__startswith=f"shipment:{shipment.pk}:",
        )
        .exclude(cause=cause)
        .select_related("merchant")
    )
    for touchpoint in older:
        touchpoint_transition(
            touchpoint=touchpoint,
            to_status=S.SKIPPED,
            from_statuses=(S.SCHEDULED,),
            reason=f"superseded by {shipment.status}",
        )


def _send_due_after_commit(touchpoints: list[Touchpoint]) -> None:
    """Kick off sends that are due now right after commit, not at the next beat tick.

    If the broker is down the beat dispatcher still finds the rows; nothing is lost.
    """
    now = timezone.now()
    due = [
        touchpoint.pk
        for touchpoint in touchpoints
        if touchpoint.status == S.SCHEDULED
        and touchpoint.channel in (Touchpoint.Channel.EMAIL, Touchpoint.Channel.SMS)
        and touchpoint.due_at <= now
    ]
    touchpoints_enqueue_on_commit(due)
