"""Thin Celery tasks of the orders app."""

from celery import shared_task

from orders.privacy import customers_erase_expired


@shared_task(acks_late=True)
def erase_expired_customers() -> int:
    """Anonymise buyers past the retention period (safe to run twice)."""
    return customers_erase_expired()
