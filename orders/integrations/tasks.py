"""Thin Celery tasks for incoming webhooks. Each is safe to run twice."""

import logging

from celery import shared_task

from orders.integrations.privacy import integration_logs_expire
from orders.integrations.services import inbound_delivery_process, inbound_due_ids

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def process_inbound_delivery(delivery_id: int) -> str:
    return inbound_delivery_process(delivery_id=delivery_id)


@shared_task(acks_late=True)
def dispatch_inbound_deliveries() -> int:
    """What beat runs: queue every stored delivery that is due (new, retried or released)."""
    ids = inbound_due_ids()
    for delivery_id in ids:
        enqueue_process(delivery_id)
    return len(ids)


def enqueue_process(delivery_id: int) -> None:
    """Queue a delivery; with the broker down the row waits for the beat dispatcher."""
    try:
        process_inbound_delivery.delay(delivery_id)
    except Exception:
        logger.warning(
            "broker unavailable; inbound delivery %s waits for dispatch", delivery_id, exc_info=True
        )


@shared_task
def expire_integration_logs() -> int:
    return integration_logs_expire()
