"""Moving a touchpoint between statuses, always with a row in its status history.

Every move is a conditional UPDATE on the status the caller expects, so two
processes racing over the same row cannot both move it.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from notifications.models import Touchpoint, TouchpointStatusChange
from postpurchase import events


def touchpoint_transition(
    *,
    touchpoint: Touchpoint,
    to_status: str,
    from_statuses: tuple[str, ...],
    reason: str = "",
    **fields,
) -> bool:
    """Move `touchpoint` to `to_status` if it is in one of `from_statuses`. True if it moved.

    Inside a caller's transaction it adds no savepoint: an error here fails the
    caller's whole transaction, which is what every caller wants.
    """
    with transaction.atomic(savepoint=False):
        updated = Touchpoint.all_merchants.filter(
            pk=touchpoint.pk, status__in=from_statuses
        ).update(status=to_status, updated_at=timezone.now(), **fields)
        if not updated:
            return False
        TouchpointStatusChange.all_merchants.create(
            merchant_id=touchpoint.merchant_id,
            touchpoint_id=touchpoint.pk,
            from_status=touchpoint.status,
            to_status=to_status,
            reason=reason[:500],
        )
        previous = touchpoint.status
        touchpoint.status = to_status
        for name, value in fields.items():
            if not isinstance(value, F):
                setattr(touchpoint, name, value)
        if to_status == Touchpoint.Status.SENT and previous != Touchpoint.Status.SENT:
            _emit(touchpoint, "touchpoint.sent")
        elif to_status == Touchpoint.Status.FAILED:
            _emit(touchpoint, "touchpoint.failed", reason=reason)
    return True


def touchpoints_transition(
    *,
    touchpoints: list[Touchpoint],
    to_status: str,
    from_statuses: tuple[str, ...],
    reason: str = "",
    **fields,
) -> list[Touchpoint]:
    """touchpoint_transition for many touchpoints in a constant number of queries.

    Locks those still in one of `from_statuses`, moves them with one UPDATE and writes
    their history rows in one INSERT. Returns the touchpoints that moved. Inside a
    caller's transaction it adds no savepoint: an error fails the caller's transaction.
    """
    if not touchpoints:
        return []
    with transaction.atomic(savepoint=False):
        movable = set(
            Touchpoint.all_merchants.select_for_update()
            .filter(pk__in=[tp.pk for tp in touchpoints], status__in=from_statuses)
            .values_list("pk", flat=True)
        )
        moved = [tp for tp in touchpoints if tp.pk in movable]
        if not moved:
            return []
        Touchpoint.all_merchants.filter(pk__in=movable).update(
            status=to_status, updated_at=timezone.now(), **fields
        )
        TouchpointStatusChange.all_merchants.bulk_create(
            TouchpointStatusChange(
                merchant_id=tp.merchant_id,
                touchpoint_id=tp.pk,
                from_status=tp.status,
                to_status=to_status,
                reason=reason[:500],
            )
            for tp in moved
        )
        for tp in moved:
            previous = tp.status
            tp.status = to_status
            for name, value in fields.items():
                if not isinstance(value, F):
                    setattr(tp, name, value)
            if to_status == Touchpoint.Status.SENT and previous != Touchpoint.Status.SENT:
                _emit(tp, "touchpoint.sent")
            elif to_status == Touchpoint.Status.FAILED:
                _emit(tp, "touchpoint.failed", reason=reason)
    return moved


def touchpoint_record_planned(touchpoints: list[Touchpoint], *, reason: str = "planned") -> None:
    """The first line of each new touchpoint's history."""
    TouchpointStatusChange.all_merchants.bulk_create(
        TouchpointStatusChange(
            merchant_id=tp.merchant_id,
            touchpoint_id=tp.pk,
            from_status="",
            to_status=tp.status,
            reason=tp.error or reason,
        )
        for tp in touchpoints
        if tp.pk
    )


def _emit(touchpoint: Touchpoint, name: str, reason: str = "") -> None:
    data = {
        "touchpoint_id": touchpoint.pk,
        "order_id": touchpoint.order_id,
        "kind": touchpoint.kind,
        "channel": touchpoint.channel,
        "status": touchpoint.status,
    }
    if reason:
        data["reason"] = reason
    events.emit(merchant=touchpoint.merchant, name=name, data=data)
