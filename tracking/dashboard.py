"""Dashboard screens of the tracking app: the tracking-page preview and cross-sell rules."""

from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path

from postpurchase.dashboard_auth import SETTINGS_ROLES, merchant_required


def render_tracking_preview(*, order, locale: str, request=None) -> str:
    """The buyer's tracking page for `order`, as the tracking app renders it."""
    try:
        from tracking.rendering import render_tracking_page
    except ImportError:
        render_tracking_page = None
    if render_tracking_page is not None:
        result = render_tracking_page(order, locale=locale)
        return result.content.decode() if hasattr(result, "content") else str(result)
    # Until the tracking app's renderer exists: a plain page with the same branding.
    return render_to_string(
        "tracking/dashboard/preview_fallback.html",
        {"order": order, "branding": order.merchant.branding, "merchant": order.merchant},
        request=request,
    )


@merchant_required(*SETTINGS_ROLES)
def crosssell_rules(request):
    return render(request, "tracking/dashboard/crosssell_rules.html", {"rules": []})


urlpatterns = [
    path("cross-sell/", crosssell_rules, name="crosssell_rules"),
]
