"""Reads for integration views and the dashboard."""

from orders.integrations.models import InboundDelivery, Integration
from postpurchase.models import Merchant


def integration_for_webhook(*, merchant_slug: str, platform: str) -> Integration | None:
    """The active connection a webhook URL points at, or None (answered 401 like a bad signature)."""
    return (
        Integration.objects.unscoped(
            reason="the webhook URL names the merchant; its secret proves it"
        )
        .select_related("merchant")
        .filter(
            merchant__slug=merchant_slug,
            merchant__is_active=True,
            platform=platform,
            is_active=True,
        )
        .first()
    )


def inbound_delivery_list(*, merchant: Merchant, limit: int = 100):
    return InboundDelivery.objects.for_merchant(merchant).order_by("-received_at", "-id")[:limit]


def integration_list(*, merchant: Merchant):
    return Integration.objects.for_merchant(merchant).order_by("platform")


def csv_import_list(*, merchant: Merchant, limit: int = 10):
    from orders.integrations.models import CsvImport

    return (
        CsvImport.objects.for_merchant(merchant)
        .defer("content")
        .order_by("-created_at", "-id")[:limit]
    )
