"""Reads the dashboard shell shows: the overview and optional sections of other apps."""

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from notifications.models import Touchpoint
from orders.models import PROBLEM_STATUSES, Order
from postpurchase.models import Membership, Merchant
from tracking.models import Rating, TrackingVisit


def orders_at_risk(*, merchant: Merchant):
    """Open orders that need a human now: a shipment in trouble, a failed message or a low rating."""
    return (
        Order.objects.for_merchant(merchant)
        .filter(cancelled_at__isnull=True)
        .filter(
            Q(shipments__status__in=PROBLEM_STATUSES)
            | Q(touchpoints__status=Touchpoint.Status.FAILED)
            | Q(rating__score__lte=2)
        )
        .distinct()
    )


def overview(*, merchant: Merchant, membership: Membership) -> dict:
    since = timezone.now() - dt.timedelta(days=7)
    orders = Order.objects.for_merchant(merchant).filter(placed_at__gte=since)
    sent = Touchpoint.objects.for_merchant(merchant).filter(
        sent_at__gte=since, kind=Touchpoint.Kind.CONGRATULATION
    )
    visits = TrackingVisit.objects.for_merchant(merchant).filter(visited_at__gte=since)
    ratings = Rating.objects.for_merchant(merchant).filter(created_at__gte=since)
    at_risk = orders_at_risk(merchant=merchant)
    return {
        "orders": orders.count(),
        "congratulations_sent": sent.count(),
        "visits": visits.count(),
        "ratings": ratings.aggregate(n=Count("id"))["n"],
        "at_risk_count": at_risk.count(),
        "at_risk": list(at_risk.select_related("customer").order_by("-placed_at")[:8]),
        "recent": list(
            Order.objects.for_merchant(merchant)
            .select_related("customer")
            .order_by("-placed_at")[:8]
        ),
    }


def preview_choices(*, merchant: Merchant, request) -> dict:
    from orders.models import ShipmentStatus
    from postpurchase.models import LOCALES

    states = [("ordered", "Ordered, not shipped"), *ShipmentStatus.choices]
    return {
        "states": states,
        "locales": LOCALES,
        "default_locale": merchant.default_locale,
    }


def settings_sections(*, request) -> list:
    """Sections other apps add to the settings page (notification rules, call rules)."""
    return []


def integration_secrets(*, merchant: Merchant) -> list:
    """Webhook secrets of the shop integrations, once the integrations app provides them."""
    return []


def branding_preview_values(*, merchant: Merchant, params) -> dict:
    """The edited branding values from the preview's query string.

    Only fields the request names are taken, and only if valid: a half-typed colour
    keeps showing the saved one instead of breaking the preview.
    """
    from postpurchase.dashboard.forms import BrandingForm
    from postpurchase.models import Branding

    instance = Branding.objects.filter(merchant=merchant).first() or Branding(merchant=merchant)
    form = BrandingForm(params, instance=instance, merchant=merchant)
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    values = {
        name: cleaned[name]
        for name in cleaned
        if name in params and name not in ("logo_upload", "remove_logo")
    }
    if any(key.startswith("link_") for key in params) and "shop_links" in cleaned:
        values["shop_links"] = cleaned["shop_links"]
    return values
