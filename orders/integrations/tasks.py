"""Thin Celery tasks for incoming webhooks. Each is safe to run twice."""

from celery import shared_task

from orders.integrations.privacy import integration_logs_expire
from orders.integrations.services import INBOUND, inbound_delivery_process, inbound_due_ids


@shared_task(acks_late=True)
def process_inbound_delivery(delivery_id: int) -> str:
    return inbound_delivery_process(delivery_id=delivery_id)


@shared_task(acks_late=True)
def dispatch_inbound_deliveries() -> int:
    """What beat runs: queue every stored delivery that is due (new, retried or released)."""
    ids = inbound_due_ids()
    INBOUND.enqueue((delivery_id,) for delivery_id in ids)
    return len(ids)


@shared_task
def expire_integration_logs() -> int:
    return integration_logs_expire()
