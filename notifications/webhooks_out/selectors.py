"""Reads for the outgoing-webhooks dashboard screen."""

from django.db.models import Prefetch

from notifications.webhooks_out.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from postpurchase.models import Merchant


def webhook_endpoint_list(*, merchant: Merchant):
    return WebhookEndpoint.objects.for_merchant(merchant).order_by("-is_active", "created_at")


def webhook_delivery_log(*, merchant: Merchant, endpoint_id: int | None = None, limit: int = 100):
    """Newest deliveries first, each with its attempts, for the merchant's delivery log."""
    deliveries = (
        WebhookDelivery.objects.for_merchant(merchant)
        .select_related("endpoint")
        .prefetch_related(
            Prefetch(
                "log",
                queryset=WebhookAttempt.objects.for_merchant(merchant).order_by(
                    "attempted_at", "id"
                ),
            )
        )
        .order_by("-created_at", "-id")
    )
    if endpoint_id is not None:
        deliveries = deliveries.filter(endpoint_id=endpoint_id)
    return deliveries[:limit]
