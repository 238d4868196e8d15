"""Thin Celery tasks: load ids, call a service. Each is safe to run twice.

No task is ever scheduled with eta/countdown: work due later is a row with a
due time that the beat-driven dispatcher picks up. Services queue work by task
name through notifications/queue.py and never import this module.
"""

from celery import shared_task

from notifications.dispatch import touchpoints_dispatch_due
from notifications.sending import touchpoint_send, touchpoints_send


@shared_task(acks_late=True)
def dispatch_touchpoints() -> int:
    return len(touchpoints_dispatch_due())


@shared_task(acks_late=True)
def send_touchpoints(touchpoint_ids: list[int]) -> int:
    """Send a batch; returns how many went. A second delivery finds them claimed or sent."""
    results = touchpoints_send(touchpoint_ids=touchpoint_ids)
    return sum(status == "sent" for status in results.values())


@shared_task(acks_late=True)
def send_touchpoint(touchpoint_id: int) -> str:
    # One id: the shape queued before batches (messages may still wait in a queue).
    return touchpoint_send(touchpoint_id=touchpoint_id)


@shared_task(acks_late=True)
def dispatch_touchpoints_due_soon() -> int:
    """The few-second tick: due rows only; stuck claims wait for the minute pass."""
    return len(touchpoints_dispatch_due(recover=False))
