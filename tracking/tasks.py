"""Thin Celery tasks of the tracking app."""

from celery import shared_task

from tracking.services import visits_flush


@shared_task(acks_late=True)
def flush_tracking_visits() -> int:
    """Write buffered tracking page views to the database (safe to run twice)."""
    return visits_flush()
