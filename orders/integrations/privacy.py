"""What the shop integrations keep about buyers: raw webhook bodies and uploaded CSV files.

Both hold names, addresses and emails. A buyer's erasure blanks the bodies about their
orders, and nothing is kept longer than DELIVERY_LOG_RETENTION_DAYS once it is done with:
it was stored to apply it once and to debug it, not to keep a second copy of the shop.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from orders.integrations.models import CsvImport, InboundDelivery
from orders.privacy import register_buyer_data
from postpurchase.retention import delete_in_slices

ERASED = {"erased": True}
FINISHED = (
    InboundDelivery.Status.DONE,
    InboundDelivery.Status.IGNORED,
    InboundDelivery.Status.DEAD,
)


def _deliveries_about(merchant, orders):
    external_ids = [order.external_id for order in orders if order.external_id]
    return InboundDelivery.objects.for_merchant(merchant).filter(order_external_id__in=external_ids)


def _inbound_export(*, merchant, customer, orders) -> list:
    return [
        {
            "source": row.source,
            "topic": row.topic,
            "received_at": row.received_at.isoformat(),
            "payload": row.payload,
        }
        for row in _deliveries_about(merchant, orders).order_by("received_at", "id")
    ]


def _inbound_erase(*, merchant, customer, orders) -> int:
    deliveries = _deliveries_about(merchant, orders)
    # An update still waiting to be applied would write the buyer's details back.
    changed = deliveries.exclude(status__in=FINISHED).update(
        status=InboundDelivery.Status.IGNORED, error="buyer erased", payload=ERASED
    )
    return changed + deliveries.exclude(payload=ERASED).update(payload=ERASED)


register_buyer_data(name="shop_webhooks", export=_inbound_export, erase=_inbound_erase)

RETENTION = "daily retention pass over every merchant's shop deliveries and uploads"


def integration_logs_expire(*, now=None, batch: int = 5000) -> int:
    """Delete finished webhook bodies and blank uploaded CSV files past the retention period."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.DELIVERY_LOG_RETENTION_DAYS)
    finished = InboundDelivery.objects.unscoped(reason=RETENTION).filter(
        status__in=FINISHED, received_at__lt=cutoff
    )
    removed = delete_in_slices(finished, batch=batch)
    removed += (
        CsvImport.objects.unscoped(reason=RETENTION)
        .filter(created_at__lt=cutoff)
        .exclude(content="")
        .update(content="")
    )
    return removed
