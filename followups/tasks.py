"""Thin Celery tasks for the call queue."""

from celery import shared_task

from followups.services import call_queues_prepare_all


@shared_task(acks_late=True)
def prepare_call_queues() -> int:
    """Make today's call queues ready (beat, every 15 minutes; safe to run twice)."""
    return call_queues_prepare_all()
