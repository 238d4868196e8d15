"""Webhook endpoints of the shop platforms: verify, store raw, answer at once.

Nothing is parsed before the signature is checked; applying happens in a task.
"""

import json
import secrets

from django.http import HttpResponse, JsonResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from orders.integrations import selectors, services, shopify, woocommerce
from orders.integrations.models import Platform
from postpurchase.limits import json_text_problem

# Compared against when no connection exists, so "unknown merchant" costs the same time.
NO_SECRET = secrets.token_urlsafe(32)


def _unauthorized() -> HttpResponse:
    return JsonResponse({"errors": {"signature": ["Invalid or missing signature."]}}, status=401)


def _bad_request(message: str) -> HttpResponse:
    return JsonResponse({"errors": {"payload": [message]}}, status=400)


def _json_object(body: bytes) -> dict | None:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    # NUL and lone surrogates are valid JSON but cannot be stored: refuse, don't 500.
    return payload if isinstance(payload, dict) and not json_text_problem(payload) else None


def _receive(request, integration, *, order_external_id, **delivery) -> JsonResponse:
    """Store a verified delivery for the worker; the same delivery twice is kept once."""
    payload = _json_object(request.body)
    if payload is None:
        return _bad_request("The body is not a JSON object.")
    _, created = services.inbound_delivery_receive(
        merchant=integration.merchant,
        payload=payload,
        order_external_id=order_external_id(payload),
        **delivery,
    )
    return JsonResponse({"status": "accepted" if created else "duplicate"})


@csrf_exempt
@require_POST
def shopify_webhook(request, merchant_slug: str):
    integration = selectors.integration_for_webhook(
        merchant_slug=merchant_slug, platform=Platform.SHOPIFY
    )
    secret = integration.secret if integration else NO_SECRET
    header = request.headers.get("X-Shopify-Hmac-Sha256")
    if not shopify.signature_valid(request.body, header, secret) or integration is None:
        return _unauthorized()
    topic = request.headers.get("X-Shopify-Topic", "")
    webhook_id = request.headers.get("X-Shopify-Webhook-Id", "")
    if not webhook_id:
        return _bad_request("X-Shopify-Webhook-Id is required.")
    if topic not in shopify.TOPICS:
        # Subscribed to more than we read: acknowledge so Shopify does not retry.
        return JsonResponse({"status": "ignored"})
    return _receive(
        request,
        integration,
        source=Platform.SHOPIFY,
        topic=topic,
        delivery_key=webhook_id,
        order_external_id=lambda payload: shopify.order_external_id(payload, topic),
        event_key=request.headers.get("X-Shopify-Event-Id", ""),
        triggered_at=parse_datetime(request.headers.get("X-Shopify-Triggered-At", "") or ""),
    )


@csrf_exempt
@require_POST
def woocommerce_webhook(request, merchant_slug: str):
    integration = selectors.integration_for_webhook(
        merchant_slug=merchant_slug, platform=Platform.WOOCOMMERCE
    )
    header = request.headers.get("X-WC-Webhook-Signature")
    if (
        header is None
        and request.content_type == "application/x-www-form-urlencoded"
        and request.POST.get("webhook_id")
    ):
        # WooCommerce's ping when a webhook is saved: form-encoded `webhook_id=N`, unsigned,
        # carrying no data. Answering 200 is what keeps the webhook active.
        return JsonResponse({"status": "pong"})
    secret = integration.secret if integration else NO_SECRET
    if not woocommerce.signature_valid(request.body, header, secret) or integration is None:
        return _unauthorized()
    topic = request.headers.get("X-WC-Webhook-Topic", "")
    delivery_id = request.headers.get("X-WC-Webhook-Delivery-ID", "")
    if not delivery_id:
        return _bad_request("X-WC-Webhook-Delivery-ID is required.")
    if topic not in woocommerce.ORDER_TOPICS:
        return JsonResponse({"status": "ignored"})
    return _receive(
        request,
        integration,
        source=Platform.WOOCOMMERCE,
        topic=topic,
        delivery_key=delivery_id,
        order_external_id=lambda payload: str(payload.get("id") or ""),
    )
