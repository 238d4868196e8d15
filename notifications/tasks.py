"""Thin Celery tasks: load ids, call a service. Each is safe to run twice."""

import logging

from celery import shared_task

from notifications.dispatch import touchpoints_dispatch_due
from notifications.sending import touchpoint_send


@shared_task(acks_late=True)
def dispatch_touchpoints() -> int:
    return len(touchpoints_dispatch_due())


@shared_task(acks_late=True)
def send_touchpoint(touchpoint_id: int) -> str:
    return touchpoint_send(touchpoint_id=touchpoint_id)


logger = logging.getLogger(__name__)


def enqueue_send(touchpoint_id: int) -> None:
    """Queue a send; a broker outage is logged, the beat dispatcher retries later."""
    try:
        send_touchpoint.delay(touchpoint_id)
    except Exception:
        logger.warning("broker unavailable; touchpoint %s waits for the dispatcher", touchpoint_id)
