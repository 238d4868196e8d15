"""Thin Celery tasks for outgoing webhooks. Each is safe to run twice."""

from celery import shared_task

from notifications.webhooks_out.privacy import webhook_logs_expire
from notifications.webhooks_out.services import (
    DELIVERIES,
    webhook_deliveries_due_ids,
    webhook_delivery_attempt,
)


@shared_task(acks_late=True)
def deliver_webhook(delivery_id: int) -> str:
    return webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(acks_late=True)
def dispatch_webhooks() -> int:
    """What beat runs: queue every delivery that is due (first tries the broker lost, retries)."""
    ids = webhook_deliveries_due_ids()
    DELIVERIES.enqueue((delivery_id,) for delivery_id in ids)
    return len(ids)


@shared_task
def expire_webhook_logs() -> int:
    return webhook_logs_expire()
