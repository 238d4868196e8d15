"""EasyPost's webhook endpoint: verify, store the raw event, answer at once."""

import json

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from orders.integrations import selectors, services
from orders.integrations.models import Platform
from orders.integrations.webhooks import NO_SECRET
from postpurchase.limits import json_text_problem
from tracking.carriers import easypost


@csrf_exempt
@require_POST
def easypost_webhook(request, merchant_slug: str):
    integration = selectors.integration_for_webhook(
        merchant_slug=merchant_slug, platform=Platform.EASYPOST
    )
    secret = integration.secret if integration else NO_SECRET
    header = request.headers.get("X-Hmac-Signature")
    if not easypost.signature_valid(request.body, header, secret) or integration is None:
        return JsonResponse(
            {"errors": {"signature": ["Invalid or missing signature."]}}, status=401
        )
    try:
        event = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        event = None
    # NUL and lone surrogates are valid JSON but cannot be stored: refuse, don't 500.
    if not isinstance(event, dict) or not event.get("id") or json_text_problem(event):
        return JsonResponse({"errors": {"payload": ["Expected an EasyPost Event."]}}, status=400)
    topic = str(event.get("description") or "")
    if topic not in easypost.TOPICS:
        return JsonResponse({"status": "ignored"})
    _, created = services.inbound_delivery_receive(
        merchant=integration.merchant,
        source=Platform.EASYPOST,
        topic=topic,
        delivery_key=str(event["id"]),
        payload=event,
    )
    return JsonResponse({"status": "accepted" if created else "duplicate"})
