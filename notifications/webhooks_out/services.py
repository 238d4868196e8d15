"""Outgoing webhook actions: endpoints, a delivery row per event, attempts with backoff."""

import json
import logging
import secrets

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
from postpurchase.queueing import TableQueue

logger = logging.getLogger(__name__)
Status = WebhookDelivery.Status


# Status.PENDING until due, claimed as Status.SENDING: the queue's defaults.
DELIVERIES = TableQueue(
    model=WebhookDelivery,
    task="notifications.webhooks_out.tasks.deliver_webhook",
    due_field="next_attempt_at",
    settings_prefix="WEBHOOKS_OUT",
)


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
    DELIVERIES.enqueue_on_commit([(delivery.pk,) for delivery in created])
    return created


def webhook_delivery_claim(*, delivery_id: int) -> bool:
    """Win the right to send one delivery now: a conditional UPDATE only one sender wins."""
    return bool(DELIVERIES.claim(ids=[delivery_id], now=timezone.now()))


def body_bytes(payload: dict) -> bytes:
    # Sorted keys: PostgreSQL's jsonb reorders them, and every retry must send the same bytes.
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def webhook_delivery_attempt(*, delivery_id: int) -> str:
    """Send one delivery if it is due and ours to send. Returns its status afterwards."""
    if not webhook_delivery_claim(delivery_id=delivery_id):
        return "skipped"
    delivery = (
        WebhookDelivery.objects.unscoped(reason="by primary key: the delivery this worker claimed")
        .select_related("endpoint")
        .get(pk=delivery_id)
    )
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
    elif permanent or DELIVERIES.policy().gives_up(delivery.attempts):
        delivery.status = Status.FAILED
    else:
        delivery.status = Status.PENDING
        delivery.next_attempt_at = now + DELIVERIES.policy().backoff.delay(delivery.attempts)
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
    DELIVERIES.release(DELIVERIES.stuck(now=now), next_attempt_at=now)
    return DELIVERIES.due_ids(now=now, limit=limit)
