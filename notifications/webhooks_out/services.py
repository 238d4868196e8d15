"""Outgoing webhook actions: endpoints, a delivery row per event, attempts with backoff."""

import json
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.batch import read_once
from notifications.webhooks_out import signing, transport
from notifications.webhooks_out.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from postpurchase.events import EVENT_NAMES
from postpurchase.models import Merchant

logger = logging.getLogger(__name__)
Status = WebhookDelivery.Status
STUCK_AFTER = timedelta(minutes=5)


def max_attempts() -> int:
    return settings.WEBHOOKS_OUT_MAX_ATTEMPTS


def retry_delay(attempts: int) -> timedelta:
    """Exponential: base, 2 x base, 4 x base, ... capped at six hours."""
    base = settings.WEBHOOKS_OUT_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def _clean_events(events) -> list[str]:
    chosen = [name for name in EVENT_NAMES if name in set(events or [])]
    unknown = set(events or []) - set(EVENT_NAMES)
    if unknown or not chosen:
        choose = _("Choose one or more of: %(events)s") % {"events": ", ".join(EVENT_NAMES)}
        raise ValidationError({"events": [choose]})
    return chosen


def webhook_endpoint_create(
    *, merchant: Merchant, url: str, events: list[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Create an endpoint and return it with its signing secret (shown to the merchant once)."""
    try:
        transport.check_target(url)
    except transport.TargetRefused as exc:
        raise ValidationError({"url": [str(exc)]}) from None
    endpoint = WebhookEndpoint(
        merchant=merchant, url=url, events=_clean_events(events), description=description[:200]
    )
    raw_secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint.secret = raw_secret
    endpoint.full_clean(exclude=["merchant"])
    endpoint.save()
    return endpoint, raw_secret


def webhook_endpoint_disable(*, merchant: Merchant, endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.for_merchant(merchant).get(pk=endpoint_id)
    endpoint.is_active = False
    endpoint.save(update_fields=["is_active", "updated_at"])
    return endpoint


def webhook_deliveries_create(
    *, merchant: Merchant, name: str, data: dict
) -> list[WebhookDelivery]:
    """A delivery row per subscribed endpoint, in the caller's transaction; sent after commit."""
    active = read_once(
        ("webhook-endpoints", merchant.pk),
        lambda: list(WebhookEndpoint.objects.for_merchant(merchant).filter(is_active=True)),
    )
    endpoints = [endpoint for endpoint in active if name in endpoint.events]
    if not endpoints:
        return []
    plain_data = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    created = []
    for endpoint in endpoints:
        delivery = WebhookDelivery(merchant=merchant, endpoint=endpoint, event=name, payload={})
        delivery.payload = {
            "id": str(delivery.event_id),
            "type": name,
            "created_at": timezone.now().isoformat(),
            "merchant": merchant.slug,
            "data": plain_data,
        }
        delivery.save()
        created.append(delivery)
    for delivery in created:
        transaction.on_commit(lambda pk=delivery.pk: _enqueue(pk))
    return created


def _enqueue(delivery_id: int) -> None:
    from notifications.webhooks_out.tasks import enqueue_delivery

    enqueue_delivery(delivery_id)


def webhook_delivery_claim(*, delivery_id: int) -> bool:
    """Win the right to send one delivery now: a conditional UPDATE only one sender wins."""
    now = timezone.now()
    return (
        WebhookDelivery.objects.unscoped()
        .filter(pk=delivery_id, status=Status.PENDING, next_attempt_at__lte=now)
        .update(status=Status.SENDING, claimed_at=now)
        == 1
    )


def body_bytes(payload: dict) -> bytes:
    # Sorted keys: PostgreSQL's jsonb reorders them, and every retry must send the same bytes.
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def webhook_delivery_attempt(*, delivery_id: int) -> str:
    """Send one delivery if it is due and ours to send. Returns its status afterwards."""
    if not webhook_delivery_claim(delivery_id=delivery_id):
        return "skipped"
    delivery = WebhookDelivery.objects.unscoped().select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    body = body_bytes(delivery.payload)
    headers = {
        signing.HEADER: signing.header_value(endpoint.secret, body),
        "X-Postpurchase-Event": delivery.event,
        "X-Postpurchase-Delivery": str(delivery.event_id),
    }
    permanent = False
    if not endpoint.is_active:
        result, permanent = transport.PostResult(None, "endpoint disabled", 0), True
    else:
        try:
            result = transport.post(endpoint.url, body, headers)
        except transport.TargetRefused as exc:
            result, permanent = transport.PostResult(None, str(exc), 0), True
    return _record(delivery, result, permanent=permanent)


def _record(delivery: WebhookDelivery, result: transport.PostResult, *, permanent: bool) -> str:
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error[:500]
    if result.ok:
        delivery.status = Status.DELIVERED
        delivery.delivered_at = now
    elif permanent or delivery.attempts >= max_attempts():
        delivery.status = Status.FAILED
    else:
        delivery.status = Status.PENDING
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    with transaction.atomic():
        WebhookAttempt.objects.create(
            merchant_id=delivery.merchant_id,
            delivery=delivery,
            attempted_at=now,
            status_code=result.status_code,
            error=result.error[:500],
            duration_ms=result.duration_ms,
        )
        delivery.save(
            update_fields=[
                "attempts",
                "last_status_code",
                "last_error",
                "status",
                "delivered_at",
                "next_attempt_at",
            ]
        )
    if not result.ok:
        logger.info(
            "webhook delivery %s attempt %s failed: %s",
            delivery.pk,
            delivery.attempts,
            result.error or result.status_code,
        )
    return delivery.status


def webhook_deliveries_due_ids(*, limit: int = 500) -> list[int]:
    """Deliveries due now; a sender that died mid-request gives its claim back first."""
    now = timezone.now()
    WebhookDelivery.objects.unscoped().filter(
        status=Status.SENDING, claimed_at__lt=now - STUCK_AFTER
    ).update(status=Status.PENDING, next_attempt_at=now)
    return list(
        WebhookDelivery.objects.unscoped()
        .filter(status=Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
