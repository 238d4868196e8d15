"""Dashboard screen of outgoing webhooks: endpoints, their secrets (shown once), the delivery log."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from notifications.webhooks_out import selectors, services
from notifications.webhooks_out.models import WebhookEndpoint
from postpurchase.dashboard_auth import SETTINGS_ROLES, merchant_required
from postpurchase.events import EVENT_NAMES
from postpurchase.services import audit_record
from postpurchase.tenancy import get_for_merchant


@merchant_required(*SETTINGS_ROLES)
@require_http_methods(["GET", "POST"])
def endpoints(request):
    errors, new_secret, form = {}, "", {"url": "", "events": list(EVENT_NAMES)}
    if request.method == "POST":
        form = {
            "url": request.POST.get("url", "").strip(),
            "events": request.POST.getlist("events"),
        }
        try:
            endpoint, new_secret = services.webhook_endpoint_create(
                merchant=request.merchant, url=form["url"], events=form["events"]
            )
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            audit_record(
                merchant=request.merchant,
                actor=request.user,
                action="webhook_endpoint_create",
                target=endpoint.url,
            )
            form = {"url": "", "events": list(EVENT_NAMES)}
    return render(
        request,
        "webhooks_out/dashboard/endpoints.html",
        {
            "endpoints": selectors.webhook_endpoint_list(merchant=request.merchant),
            "deliveries": selectors.webhook_delivery_log(merchant=request.merchant, limit=50),
            "event_names": EVENT_NAMES,
            "form": form,
            "errors": errors,
            "new_secret": new_secret,
        },
        status=400 if errors else 200,
    )


@merchant_required(*SETTINGS_ROLES)
@require_POST
def endpoint_disable(request, endpoint_id: int):
    endpoint = get_for_merchant(WebhookEndpoint, merchant=request.merchant, pk=endpoint_id)
    services.webhook_endpoint_disable(merchant=request.merchant, endpoint_id=endpoint.pk)
    audit_record(
        merchant=request.merchant,
        actor=request.user,
        action="webhook_endpoint_disable",
        target=endpoint.url,
    )
    messages.success(request, _("The endpoint is turned off. Nothing more is sent to it."))
    return redirect("webhooks-out:endpoints")
