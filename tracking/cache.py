"""Versions that name a rendered tracking page in the cache, bumped on every change.

A page's cache key holds the order's version and the merchant's version. Saving or
deleting anything the page shows bumps one of them, so the next view renders
afresh and the stale copy simply expires. The bump happens at once (tests and
autocommit code see it) and again after commit, so a reader that rendered
uncommitted-old data between the two cannot keep it under the new version.
"""

import contextlib
import contextvars
import logging
import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

logger = logging.getLogger(__name__)

RENDER_TIMEOUT = 60 * 60  # a safety net; versions do the real invalidation


def order_version_key(order_id) -> str:
    return f"tracking:v:order:{order_id}"


def merchant_version_key(merchant_id) -> str:
    return f"tracking:v:merchant:{merchant_id}"


def _bump(*keys: str) -> None:
    with contextlib.suppress(Exception):
        cache.set_many({key: uuid.uuid4().hex[:12] for key in keys}, None)


# Inside bumps_coalesced(): the keys to bump once when the block ends.
_pending: contextvars.ContextVar[set | None] = contextvars.ContextVar(
    "tracking_pending_bumps", default=None
)


def bump(key: str) -> None:
    pending = _pending.get()
    if pending is not None:
        pending.add(key)
        return
    _bump(key)
    transaction.on_commit(lambda: _bump(key))


@contextlib.contextmanager
def bumps_coalesced():
    """Bump each version once for a whole bulk write: one round trip at the end of the
    block and one after commit, instead of two per saved row."""
    if _pending.get() is not None:
        yield
        return
    keys: set[str] = set()
    token = _pending.set(keys)
    try:
        yield
    finally:
        _pending.reset(token)
        if keys:
            _bump(*keys)
            transaction.on_commit(lambda: _bump(*keys))


def versions(order_id, merchant_id) -> tuple[str, str]:
    """Current versions; a version missing from the cache (evicted) starts a new one."""
    keys = [order_version_key(order_id), merchant_version_key(merchant_id)]
    try:
        found = cache.get_many(keys)
        for key in keys:
            if key not in found:
                cache.add(key, uuid.uuid4().hex[:12], None)
                found[key] = cache.get(key)
        return found[keys[0]], found[keys[1]]
    except Exception:
        logger.warning("tracking cache unavailable; rendering without it")
        return "", ""


def _order_changed(sender, instance, **kwargs):
    order_id = getattr(instance, "order_id", None)
    if sender.__name__ == "Order":
        order_id = instance.pk
    elif sender.__name__ in ("ShipmentItem", "ShipmentEvent"):
        order_id = getattr(instance.shipment, "order_id", None)
    if order_id:
        bump(order_version_key(order_id))


def _merchant_changed(sender, instance, **kwargs):
    merchant_id = instance.pk if sender.__name__ == "Merchant" else instance.merchant_id
    if merchant_id:
        bump(merchant_version_key(merchant_id))


def connect_signals() -> None:
    from orders.models import (
        Benefit,
        LineItem,
        Order,
        Product,
        Shipment,
        ShipmentEvent,
        ShipmentItem,
        Testimonial,
    )
    from postpurchase.models import Branding, Merchant
    from tracking.models import CrossSellRule, Rating, TrackingSettings

    for model in (Order, LineItem, Shipment, ShipmentItem, ShipmentEvent, Rating):
        post_save.connect(_order_changed, sender=model, dispatch_uid=f"tracking-{model.__name__}")
        post_delete.connect(
            _order_changed, sender=model, dispatch_uid=f"tracking-del-{model.__name__}"
        )
    for model in (
        Merchant,
        Branding,
        Product,
        Benefit,
        Testimonial,
        CrossSellRule,
        TrackingSettings,
    ):
        post_save.connect(
            _merchant_changed, sender=model, dispatch_uid=f"tracking-{model.__name__}"
        )
        post_delete.connect(
            _merchant_changed, sender=model, dispatch_uid=f"tracking-del-{model.__name__}"
        )
