"""What outgoing webhooks keep about buyers: copies of the events sent to the merchant.

A rating event carries the buyer's comment; erasure blanks it in the stored copies (the
merchant's own systems got theirs already). Finished deliveries are deleted after
DELIVERY_LOG_RETENTION_DAYS: the log is for debugging an endpoint, not an archive.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from notifications.webhooks_out.models import WebhookDelivery
from orders.privacy import register_buyer_data
from postpurchase.retention import delete_in_slices

FINISHED = (WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.FAILED)


def _deliveries_about(merchant, orders):
    return WebhookDelivery.objects.for_merchant(merchant).filter(
        payload__data__order_id__in=[order.pk for order in orders]
    )


def _events_export(*, merchant, customer, orders) -> list:
    return [
        {"event": row.event, "created_at": row.created_at.isoformat(), "data": row.payload["data"]}
        for row in _deliveries_about(merchant, orders).order_by("created_at", "id")
    ]


def _events_erase(*, merchant, customer, orders) -> int:
    changed = 0
    for row in _deliveries_about(merchant, orders).filter(payload__data__has_key="comment"):
        if row.payload["data"]["comment"]:
            row.payload["data"]["comment"] = ""
            # A retry sends the stored body: from now on, without the comment.
            row.save(update_fields=["payload"])
            changed += 1
    return changed


register_buyer_data(name="webhook_events", export=_events_export, erase=_events_erase)


def webhook_logs_expire(*, now=None, batch: int = 5000) -> int:
    """Delete delivered and given-up deliveries (and their attempts) past the retention period."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.DELIVERY_LOG_RETENTION_DAYS)
    finished = WebhookDelivery.objects.unscoped(
        reason="daily retention pass over every merchant's delivery log"
    ).filter(status__in=FINISHED, created_at__lt=cutoff)
    return delete_in_slices(finished, batch=batch)
