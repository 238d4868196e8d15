"""Thin Celery tasks: load ids, call a service. Each is safe to run twice.

No task is ever scheduled with eta/countdown: work due later is a row with a
due time that the beat-driven dispatcher picks up.
"""

import logging

from celery import shared_task

from notifications.dispatch import touchpoints_dispatch_due
from notifications.sending import touchpoint_send

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def dispatch_touchpoints() -> int:
    return len(touchpoints_dispatch_due())


@shared_task(acks_late=True)
def send_touchpoint(touchpoint_id: int) -> str:
    # A second delivery of this task finds the row claimed or sent: "not-claimed".
    return touchpoint_send(touchpoint_id=touchpoint_id)


def enqueue_send(touchpoint_id: int) -> None:
    """Queue a send; a broker outage is logged, the beat dispatcher retries later."""
    try:
        send_touchpoint.delay(touchpoint_id)
    except Exception:
        logger.warning("broker unavailable; touchpoint %s waits for the dispatcher", touchpoint_id)


@shared_task(acks_late=True)
def dispatch_touchpoints_due_soon() -> int:
    """The few-second tick: due rows only; stuck claims wait for the minute pass."""
    return len(touchpoints_dispatch_due(recover=False))
