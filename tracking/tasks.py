"""Thin Celery tasks of the tracking app."""

from celery import shared_task

from tracking.services import visits_flush


@shared_task(acks_late=True)
def flush_tracking_visits() -> int:
    """Write buffered tracking page views to the database (safe to run twice)."""
    return visits_flush()


# A hung carrier connection must not hold the beat pass for ever (karrio sets no timeout).
@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def poll_carriers() -> dict:
    """Poll the carriers for every due parcel (claims per parcel: safe to run twice)."""
    from tracking.carriers.polling import carrier_trackers_poll_due

    return carrier_trackers_poll_due()
