"""Planning touchpoints: which contacts an order or a shipment change causes.

Called inside the transaction that writes the cause, so a crash loses neither.
"""

from django.db import transaction
from django.utils import timezone

from followups.scheduling import next_business_day_start
from notifications.models import Touchpoint
from orders.models import Order, Shipment, ShipmentEvent


def touchpoints_plan_for_new_order(*, order: Order) -> list[Touchpoint]:
    """The congratulation email, due at once, and the next-business-day call."""
    merchant = order.merchant
    now = timezone.now()
    customer = order.customer
    planned = [
        Touchpoint(
            merchant=merchant,
            order=order,
            kind=Touchpoint.Kind.CONGRATULATION,
            channel=Touchpoint.Channel.EMAIL,
            cause="order",
            due_at=now,
            status=Touchpoint.Status.SCHEDULED
            if customer.consent_email and customer.email
            else Touchpoint.Status.SKIPPED,
        ),
        Touchpoint(
            merchant=merchant,
            order=order,
            kind=Touchpoint.Kind.FOLLOWUP_CALL,
            channel=Touchpoint.Channel.CALL,
            cause="order",
            due_at=next_business_day_start(merchant=merchant, after=max(order.placed_at, now)),
            status=Touchpoint.Status.SCHEDULED
            if customer.consent_call and customer.phone
            else Touchpoint.Status.SKIPPED,
        ),
    ]
    # A new order has no touchpoints yet, so no conflict can occur and pks come back.
    created = Touchpoint.objects.for_merchant(merchant).bulk_create(planned)
    _send_due_after_commit(created)
    return created


def touchpoints_plan_for_shipment_change(
    *, shipment: Shipment, event: ShipmentEvent
) -> list[Touchpoint]:
    """A shipment_update per consented channel for the shipment's new status."""
    customer = shipment.order.customer
    consent = {
        Touchpoint.Channel.EMAIL: customer.consent_email and bool(customer.email),
        Touchpoint.Channel.SMS: customer.consent_sms and bool(customer.phone),
    }
    planned = [
        Touchpoint(
            merchant=shipment.merchant,
            order=shipment.order,
            kind=Touchpoint.Kind.SHIPMENT_UPDATE,
            channel=channel,
            cause=f"shipment:{shipment.pk}:{event.status}",
            due_at=timezone.now(),
            status=Touchpoint.Status.SCHEDULED if allowed else Touchpoint.Status.SKIPPED,
            payload={"shipment_id": shipment.pk, "status": event.status, "event_id": event.pk},
        )
        for channel, allowed in consent.items()
    ]
    Touchpoint.objects.for_merchant(shipment.merchant).bulk_create(planned, ignore_conflicts=True)
    created = list(
        Touchpoint.objects.for_merchant(shipment.merchant).filter(
            order=shipment.order, cause=planned[0].cause, kind=Touchpoint.Kind.SHIPMENT_UPDATE
        )
    )
    _send_due_after_commit(created)
    return created


def _send_due_after_commit(touchpoints: list[Touchpoint]) -> None:
    """Kick off sends that are due now right after commit, not at the next beat tick.

    If the broker is down the beat dispatcher still finds the rows; nothing is lost.
    """
    from notifications.tasks import enqueue_send

    now = timezone.now()
    for touchpoint in touchpoints:
        if (
            touchpoint.status == Touchpoint.Status.SCHEDULED
            and touchpoint.channel in (Touchpoint.Channel.EMAIL, Touchpoint.Channel.SMS)
            and touchpoint.due_at <= now
        ):
            transaction.on_commit(lambda pk=touchpoint.pk: enqueue_send(pk))
