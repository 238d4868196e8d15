"""Dashboard screens of the tracking app: the tracking-page preview and cross-sell rules."""

from django.shortcuts import render
from django.urls import path

from postpurchase.dashboard_auth import SETTINGS_ROLES, merchant_required
from tracking.rendering import render_tracking_page


def render_tracking_preview(*, order, locale: str, request=None) -> str:
    """The buyer's tracking page for `order`, exactly as the tracking app renders it.

    The edited branding is already on the merchant (inside the preview's transaction).
    """
    return render_tracking_page(order, branding_override=order.merchant.branding, locale=locale)


@merchant_required(*SETTINGS_ROLES)
def crosssell_rules(request):
    return render(request, "tracking/dashboard/crosssell_rules.html", {"rules": []})


urlpatterns = [
    path("cross-sell/", crosssell_rules, name="crosssell_rules"),
]
