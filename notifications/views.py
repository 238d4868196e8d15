"""Buyer-facing pages of notifications: one-click unsubscribe."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt

from notifications import services
from notifications.tokens import unsubscribe_token_read
from postpurchase.models import Merchant


@csrf_exempt  # RFC 8058: mail clients POST without a session; the signed token is the auth
def unsubscribe(request, token: str):
    data = unsubscribe_token_read(token)
    if data is None or data["c"] != "email":
        raise Http404("Unknown link")
    merchant = Merchant.objects.filter(pk=data["m"]).select_related("branding").first()
    if merchant is None:
        raise Http404("Unknown link")
    # A one-click POST from a mail client (List-Unsubscribe=One-Click) or our form:
    # either way it takes effect now. GET only shows the button, because link
    # scanners fetch every URL in a message.
    done = request.method == "POST"
    if done:
        services.email_unsubscribe(merchant_id=merchant.pk, address=data["a"])
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse("unsubscribed", content_type="text/plain")
    locale = data.get("l") or merchant.default_locale
    with translation.override(locale):
        return render(
            request,
            "notifications/unsubscribe.html",
            {
                "merchant": merchant,
                "branding": getattr(merchant, "branding", None),
                "address": data["a"],
                "done": done,
            },
        )
