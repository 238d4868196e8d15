"""Integration actions: connect a platform, store a verified delivery, apply it."""

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.history import touchpoint_transition
from notifications.models import Touchpoint
from orders.integrations import shopify, woocommerce
from orders.integrations.models import (
    ExternalOrder,
    ExternalShipment,
    InboundDelivery,
    Integration,
    Platform,
)
from orders.integrations.normalized import FulfillmentUpdate, OrderUpdate, PayloadError
from orders.models import Order, Shipment
from orders.serializers import OrderInput
from orders.services import order_upsert, shipment_create, shipment_event_record
from postpurchase.models import Merchant
from postpurchase.queueing import ROW_LOCK, TableQueue
from tracking.cache import order_changed as order_page_changed
from tracking.carriers import easypost
from tracking.carriers.services import tracker_update_apply

logger = logging.getLogger(__name__)

RELEASE = "the beat pass releases every merchant's waiting shop deliveries"

Status = InboundDelivery.Status


# A lock claim: a delivery's effects and its outcome are written in the claim's
# transaction, so a worker that dies applies all of it or none, and leaves nothing claimed.
INBOUND = TableQueue(
    model=InboundDelivery,
    task="orders.integrations.tasks.process_inbound_delivery",
    claimed=ROW_LOCK,  # Status.PENDING until done
    settings_prefix="INBOUND_DELIVERY",
    backoff_factor=3,  # 10 s, 30 s, 90 s …: quick for races, patient for outages
)


def integration_connect(*, merchant: Merchant, platform: str, secret: str) -> Integration:
    """Create or re-key the merchant's connection to `platform`."""
    if platform not in Platform.values:
        raise ValidationError({"platform": [_("Unknown platform.")]})
    if len(secret or "") < 8:
        raise ValidationError({"secret": [_("The signing secret is too short.")]})
    integration = Integration.objects.for_merchant(merchant).filter(
        platform=platform
    ).first() or Integration(merchant=merchant, platform=platform)
    integration.secret = secret
    integration.is_active = True
    integration.save()
    return integration


def inbound_delivery_receive(
    *,
    merchant: Merchant,
    source: str,
    topic: str,
    delivery_key: str,
    payload: dict,
    event_key: str = "",
    triggered_at=None,
    order_external_id: str = "",
) -> tuple[InboundDelivery, bool]:
    """Store a verified delivery once; a redelivery returns the first row and `False`."""
    deliveries = InboundDelivery.objects.for_merchant(merchant).filter(source=source)
    seen = Q(delivery_key=delivery_key)
    if event_key:
        seen |= Q(topic=topic, event_key=event_key)
    existing = deliveries.filter(seen).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            row = InboundDelivery.objects.create(
                merchant=merchant,
                source=source,
                topic=topic,
                delivery_key=delivery_key[:200],
                event_key=event_key[:200],
                triggered_at=triggered_at,
                payload=payload,
                order_external_id=order_external_id[:100],
            )
    except IntegrityError:
        # A parallel redelivery won the race; it is the one that will be applied.
        return deliveries.filter(seen).first(), False
    INBOUND.enqueue_on_commit([(row.pk,)])
    return row, True


def inbound_delivery_process(*, delivery_id: int) -> str:
    """Apply one stored delivery, once. Safe to call twice or concurrently.

    The row is locked while its effects are written, and marked done in the same
    transaction, so a crash either applies all of it or none of it.
    """
    now = timezone.now()
    with transaction.atomic():
        if not INBOUND.claim(ids=[delivery_id], now=now, count_attempt=True):
            return "skipped"
        row = INBOUND.rows().select_related("merchant").get(pk=delivery_id)
        try:
            with transaction.atomic():
                outcome = _apply(row)
        except (PayloadError, ValidationError) as exc:
            row.status = Status.DEAD
            row.error = _error_text(exc)
        except Exception as exc:
            logger.exception("inbound delivery %s failed (attempt %s)", row.pk, row.attempts)
            row.error = _error_text(exc)
            policy = INBOUND.policy()
            if policy.gives_up(row.attempts):
                row.status = Status.DEAD
            else:
                row.due_at = now + policy.backoff.delay(row.attempts)
        else:
            row.status = outcome
            row.error = ""
            row.processed_at = timezone.now()
        row.save(update_fields=["status", "attempts", "error", "due_at", "processed_at"])
    return row.status


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)[:2000]
    return f"{type(exc).__name__}: {exc}"[:2000]


def _apply(row: InboundDelivery) -> str:
    merchant = row.merchant
    if row.source == Platform.SHOPIFY:
        if row.topic in shopify.ORDER_TOPICS:
            update = shopify.order_update(row.payload, triggered_at=row.triggered_at)
            outcome = apply_order_update(merchant=merchant, source=row.source, update=update)
            # An order carries its fulfillments too: a shop that only sends orders/updated
            # still gets its shipments, and ones already applied change nothing.
            for fulfillment in row.payload.get("fulfillments") or []:
                if isinstance(fulfillment, dict) and fulfillment.get("order_id") is not None:
                    apply_fulfillment_update(
                        merchant=merchant,
                        source=row.source,
                        update=shopify.fulfillment_update(fulfillment),
                    )
            return outcome
        if row.topic in shopify.FULFILLMENT_TOPICS:
            update = shopify.fulfillment_update(row.payload, triggered_at=row.triggered_at)
            return apply_fulfillment_update(merchant=merchant, source=row.source, update=update)
    if row.source == Platform.WOOCOMMERCE and row.topic in woocommerce.ORDER_TOPICS:
        update = woocommerce.order_update(row.payload)
        if update is None:
            return Status.IGNORED
        outcome = apply_order_update(merchant=merchant, source=row.source, update=update)
        for fulfillment in woocommerce.fulfillment_updates(row.payload):
            apply_fulfillment_update(merchant=merchant, source=row.source, update=fulfillment)
        return outcome
    if row.source == Platform.EASYPOST:
        update = easypost.tracker_update(row.payload)
        tracker_update_apply(merchant=merchant, update=update)
        return Status.DONE
    return Status.IGNORED


def apply_order_update(*, merchant: Merchant, source: str, update: OrderUpdate) -> str:
    """Upsert the order unless we already applied a newer version of it; then cancel if due."""
    state = (
        ExternalOrder.objects.for_merchant(merchant)
        .select_for_update()
        .filter(source=source, external_id=update.external_id)
        .first()
    )
    stale = state is not None and update.version_at < state.version_at
    if stale:
        order = state.order
    else:
        data = OrderInput(data=update.data)
        if not data.is_valid():
            raise ValidationError(_flatten(data.errors))
        order = order_upsert(merchant=merchant, data=data.validated_data).order
        if state is None:
            state = ExternalOrder(merchant=merchant, source=source, external_id=update.external_id)
        state.order = order
        state.version_at = update.version_at
        state.save()
        _release_waiting(merchant=merchant, source=source, order_external_id=order.external_id)
    # Cancellation only ever moves forward, so even a stale copy may carry it.
    if update.cancelled_at is not None:
        order_cancel(merchant=merchant, order=order, cancelled_at=update.cancelled_at)
    return Status.IGNORED if stale and update.cancelled_at is None else Status.DONE


def _flatten(errors, prefix: str = "") -> list[str]:
    messages = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            messages += _flatten(value, f"{prefix}{key}.")
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            if isinstance(value, dict | list):
                messages += _flatten(value, f"{prefix}{index}.")
            else:
                messages.append(f"{prefix.rstrip('.')}: {value}")
    return messages


def order_cancel(*, merchant: Merchant, order: Order, cancelled_at) -> int:
    """Mark the order cancelled and cancel every contact not yet made. Returns how many."""
    if order.cancelled_at is None:
        Order.objects.for_merchant(merchant).filter(pk=order.pk).update(
            cancelled_at=cancelled_at, updated_at=timezone.now()
        )
        order_page_changed(order.pk)  # update() sends no signal; the cached page must go
        order.cancelled_at = cancelled_at
    scheduled = Touchpoint.objects.for_merchant(merchant).filter(
        order=order, status=Touchpoint.Status.SCHEDULED
    )
    # Through the engine's transition, so each touchpoint's history says why it stopped.
    return sum(
        touchpoint_transition(
            touchpoint=touchpoint,
            to_status=Touchpoint.Status.CANCELLED,
            from_statuses=(Touchpoint.Status.SCHEDULED,),
            reason="order cancelled in the shop",
        )
        for touchpoint in scheduled
    )


def _release_waiting(*, merchant: Merchant, source: str, order_external_id: str) -> None:
    """Fulfillments that came before their order are applied now that it is here."""
    waiting = list(
        InboundDelivery.objects.for_merchant(merchant)
        .filter(source=source, order_external_id=order_external_id, status=Status.WAITING)
        .values_list("pk", flat=True)
    )
    if waiting:
        InboundDelivery.objects.for_merchant(merchant).filter(pk__in=waiting).update(
            status=Status.PENDING, due_at=timezone.now()
        )
        INBOUND.enqueue_on_commit([(pk,) for pk in waiting])


def apply_fulfillment_update(*, merchant: Merchant, source: str, update: FulfillmentUpdate) -> str:
    order = (
        Order.objects.for_merchant(merchant).filter(external_id=update.order_external_id).first()
    )
    if order is None:
        return Status.WAITING
    link = (
        ExternalShipment.objects.for_merchant(merchant)
        .select_for_update()
        .select_related("shipment")
        .filter(source=source, external_id=update.external_id)
        .first()
    )
    if link is None:
        known = set(order.items.exclude(sku="").values_list("sku", flat=True))
        shipment = shipment_create(
            merchant=merchant,
            order=order,
            data={
                "carrier": update.carrier,
                "tracking_number": update.tracking_number,
                "estimated_delivery": update.estimated_delivery,
                "items": [item for item in update.items if item["sku"] in known],
            },
        )
        ExternalShipment.objects.create(
            merchant=merchant,
            source=source,
            external_id=update.external_id,
            shipment=shipment,
            version_at=update.version_at,
        )
    else:
        shipment = link.shipment
        if update.version_at >= link.version_at:
            # Tracking details can be added or corrected after the label is made.
            changed = _shipment_details_changed(shipment, update)
            if changed:
                shipment.save(update_fields=[*changed, "updated_at"])
            link.version_at = update.version_at
            link.save(update_fields=["version_at"])
    if not update.skip_event:
        shipment_event_record(
            merchant=merchant,
            shipment=shipment,
            data={
                "status": update.status or _nearest_safe_status(shipment),
                "occurred_at": update.occurred_at,
                "raw_status": update.raw_status,
                "message": "",
            },
        )
    return Status.DONE


def _shipment_details_changed(shipment: Shipment, update: FulfillmentUpdate) -> list[str]:
    changed = []
    if update.tracking_number and shipment.tracking_number != update.tracking_number:
        shipment.tracking_number = update.tracking_number
        changed.append("tracking_number")
    if update.carrier and shipment.carrier != update.carrier:
        shipment.carrier = update.carrier
        changed.append("carrier")
    if update.estimated_delivery and shipment.estimated_delivery != update.estimated_delivery:
        shipment.estimated_delivery = update.estimated_delivery
        changed.append("estimated_delivery")
    return changed


def _nearest_safe_status(shipment: Shipment) -> str:
    """For a status word nobody mapped: keep the shipment where it is, so nobody is told wrong news."""
    shipment.refresh_from_db(fields=["status"])
    return shipment.status


def inbound_due_ids(*, limit: int = 500) -> list[int]:
    """Deliveries due now, after first releasing fulfillments whose order has since arrived."""
    order_exists = Order.objects.unscoped(reason=RELEASE).filter(
        merchant=OuterRef("merchant"), external_id=OuterRef("order_external_id")
    )
    InboundDelivery.objects.unscoped(reason=RELEASE).filter(status=Status.WAITING).filter(
        Exists(order_exists)
    ).update(status=Status.PENDING, due_at=timezone.now())
    return INBOUND.due_ids(now=timezone.now(), limit=limit)
