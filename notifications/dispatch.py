"""The dispatcher: claims due touchpoints and sends each exactly once.

A claim is a conditional UPDATE (status scheduled -> sending) that only one
dispatcher can win, on PostgreSQL and SQLite alike.
"""

import logging

from django.db import transaction
from django.utils import timezone

from notifications.models import Touchpoint

logger = logging.getLogger(__name__)

SENDABLE_CHANNELS = (Touchpoint.Channel.EMAIL, Touchpoint.Channel.SMS)


def touchpoint_claim(*, touchpoint_id: int) -> bool:
    """Win the right to send one touchpoint. False if someone else has it or it is done."""
    now = timezone.now()
    won = Touchpoint.all_merchants.filter(
        pk=touchpoint_id, status=Touchpoint.Status.SCHEDULED, due_at__lte=now
    ).update(status=Touchpoint.Status.SENDING, claimed_at=now)
    return won == 1


def due_touchpoint_ids(*, limit: int = 500) -> list[int]:
    return list(
        Touchpoint.objects.unscoped()
        .filter(
            status=Touchpoint.Status.SCHEDULED,
            due_at__lte=timezone.now(),
            channel__in=SENDABLE_CHANNELS,
        )
        .order_by("due_at")
        .values_list("pk", flat=True)[:limit]
    )


def touchpoints_dispatch_due(*, limit: int = 500) -> list[int]:
    """Queue a send task for every due touchpoint. Returns the ids queued."""
    from notifications.tasks import enqueue_send

    ids = due_touchpoint_ids(limit=limit)
    for touchpoint_id in ids:
        transaction.on_commit(lambda pk=touchpoint_id: enqueue_send(pk))
    return ids
