"""The rendered tracking page in Redis, found by its token and served without SQL.

An entry (one Redis hash per token and `?lang=`) holds the page, the ids of the
order, merchant and customer it shows, their versions when it was rendered, and
the end of the buyer's local day. Saving or deleting anything the page shows
bumps one of those versions, so the next view renders afresh; a new local day
(the page says "today", "tomorrow") does too. A bump happens at once (tests and
autocommit code see it) and again after commit, so a reader that rendered
uncommitted-old data between the two cannot keep it under the new version.

A hit is one Redis round trip: a Lua script checks the entry against the current
versions and the clock and, for a counted visitor, appends the view to the visit
buffer (tracking/visit_buffer.py) in the same step. Redis being down costs a
render, never the page.
"""

import contextlib
import contextvars
import logging
import pickle
import uuid
from dataclasses import dataclass

import redis
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from tracking import visit_buffer
from tracking.redis_client import redis_client as client
from tracking.theme import STYLESHEET_VERSION

logger = logging.getLogger(__name__)

RENDER_TIMEOUT = 60 * 60  # a safety net; versions do the real invalidation
# A version that expires only costs a render: the entries naming it stop matching.
VERSION_TIMEOUT = 2 * RENDER_TIMEOUT
ENTRY_LAYOUT = "5"  # bump when the entry's fields change
ORDER, MERCHANT, CUSTOMER = "order", "merchant", "customer"


def version_key(kind: str, object_id) -> str:
    return f"tracking:v:{kind}:{object_id}"


def _bump(*keys: str) -> None:
    with contextlib.suppress(Exception):
        pipe = client().pipeline(transaction=False)
        for key in keys:
            pipe.set(key, uuid.uuid4().hex[:12], ex=VERSION_TIMEOUT)
        pipe.execute()


# Inside bumps_coalesced(): the keys to bump once when the block ends.
_pending: contextvars.ContextVar[set | None] = contextvars.ContextVar(
    "tracking_pending_bumps", default=None
)


def bump(kind: str, object_id) -> None:
    if client() is None:
        return
    key = version_key(kind, object_id)
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


def order_changed(order_id) -> None:
    """For writes that send no signal (QuerySet.update): the order's page renders afresh."""
    bump(ORDER, order_id)


@dataclass(frozen=True)
class Versions:
    order: bytes
    merchant: bytes
    customer: bytes


def versions(*, order_id, merchant_id, customer_id) -> Versions | None:
    """Current versions (read before the data they guard); None when Redis is unavailable.

    A version missing from Redis (expired, flushed, evicted) starts a new one.
    """
    keys = [
        version_key(ORDER, order_id),
        version_key(MERCHANT, merchant_id),
        version_key(CUSTOMER, customer_id),
    ]
    try:
        r = client()
        if r is None:
            return None
        found = r.mget(keys)
        if None in found:
            pipe = r.pipeline(transaction=False)
            for key, value in zip(keys, found, strict=True):
                if value is None:
                    pipe.set(key, uuid.uuid4().hex[:12], nx=True, ex=VERSION_TIMEOUT)
            pipe.mget(keys)
            found = pipe.execute()[-1]
        return Versions(*found)
    except redis.RedisError:
        logger.warning("tracking cache unavailable; rendering without it")
        return None


def entry_key(token: str, lang: str) -> str:
    return f"tracking:page:{ENTRY_LAYOUT}:{STYLESHEET_VERSION}:{token}:{lang}"


@dataclass(frozen=True)
class CachedPage:
    page: object  # rendering.RenderedPage
    locale: str
    headers: tuple[tuple[str, str], ...]  # the response's own (tracking/headers.py)


def page_store(
    *,
    token: str,
    lang: str,
    cached: CachedPage,
    ids: tuple[int, int, int],
    versions: Versions,
    valid_until: float,
) -> None:
    """Keep the page for `token` and `?lang=`; `ids` are (order, merchant, customer)."""
    order_id, merchant_id, customer_id = ids
    key = entry_key(token, lang)
    fields = {
        "until": repr(valid_until),
        "oid": order_id,
        "mid": merchant_id,
        "cid": customer_id,
        "ov": versions.order,
        "mv": versions.merchant,
        "cv": versions.customer,
        "slots": visit_buffer.encode_slots(cached.page.slots),
        "page": pickle.dumps(cached, protocol=pickle.HIGHEST_PROTOCOL),
    }
    try:
        pipe = client().pipeline(transaction=True)
        pipe.delete(key)
        pipe.hset(key, mapping=fields)
        pipe.expire(key, RENDER_TIMEOUT)
        pipe.execute()
    except redis.RedisError:  # a cache outage only costs a re-render
        logger.warning("tracking page not cached: Redis unavailable")


# KEYS: the entry, the visit stream, the client's token-probe block (postpurchase/limits.py).
# ARGV: now (epoch seconds); then, for a counted visitor, view id, client hash, source.
# Returns the pickled page, 0 for a blocked client, or nil on a miss. The version keys
# are derived from the entry (one Redis server, not a cluster; the same as the cache's).
_HIT = """
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local e = redis.call('HMGET', KEYS[1], 'until', 'oid', 'mid', 'cid', 'ov', 'mv', 'cv', 'slots', 'page')
if not e[9] or tonumber(ARGV[1]) >= tonumber(e[1]) then return false end
local v = redis.call('MGET', 'tracking:v:order:' .. e[2], 'tracking:v:merchant:' .. e[3],
                     'tracking:v:customer:' .. e[4])
if v[1] ~= e[5] or v[2] ~= e[6] or v[3] ~= e[7] then return false end
if ARGV[2] then
  redis.call('XADD', KEYS[2], '*', 'view', ARGV[2], 'mid', e[3], 'oid', e[2],
             'hash', ARGV[3], 'source', ARGV[4], 'at', ARGV[1], 'slots', e[8])
end
return e[9]
"""
_hit_script = None
# page_hit's other answers: the client is refused for guessing tokens; not in the
# cache (and not blocked); Redis could not answer (nothing was checked).
BLOCKED, MISS, UNAVAILABLE = "blocked", "miss", "unavailable"


def page_hit(*, token: str, lang: str, now: float, visit=None, block_key: str):
    """The CachedPage if nothing it shows has changed, else BLOCKED, MISS or UNAVAILABLE.

    On a hit, `visit` (a visit_buffer.PageView, None for bots) is buffered in the
    same step. `block_key` is the Redis key of the client's token-probe block.
    """
    global _hit_script
    r = client()
    if r is None:
        return UNAVAILABLE
    if _hit_script is None:
        _hit_script = r.register_script(_HIT)
    args = [repr(now)]
    if visit is not None:
        args += [visit.view_id, visit.client_hash, visit.source]
    try:
        found = _evalsha(
            r, _hit_script, keys=[entry_key(token, lang), visit_buffer.STREAM, block_key], args=args
        )
    except redis.RedisError:
        logger.warning("tracking cache unavailable; rendering without it")
        return UNAVAILABLE
    if found is None:
        return MISS
    if found == 0:
        return BLOCKED
    return pickle.loads(found)  # noqa: S301 - our own Redis, written by page_store


def _evalsha(r: redis.Redis, script, *, keys: list[str], args: list[str]):
    """Run a registered script on a pooled connection, the command packed here.

    redis-py's generic command path (argument encoding, the retry wrapper, metrics)
    cost more CPU than the round trip itself, on every cached page view (#10). The
    pool hands out a live connection (it reconnects one Redis closed, e.g. on a
    restart); a script Redis no longer has is loaded again.
    """
    parts = [part.encode() for part in ("EVALSHA", script.sha, str(len(keys)), *keys, *args)]
    packed = b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
    pool = r.connection_pool
    conn = pool.get_connection()
    try:
        conn.send_packed_command([packed])
        return conn.read_response()
    except redis.exceptions.NoScriptError:
        return script(keys=keys, args=args)
    finally:
        pool.release(conn)  # after an error the connection is already disconnected


def _order_changed(sender, instance, created=False, **kwargs):
    order_id = getattr(instance, "order_id", None)
    if sender.__name__ == "Order":
        if created:
            # A new order's page cannot be cached yet (nobody sees it before commit):
            # nothing to invalidate, two Redis round trips saved per ingested order.
            return
        order_id = instance.pk
    elif sender.__name__ in ("ShipmentItem", "ShipmentEvent"):
        order_id = getattr(instance.shipment, "order_id", None)
    if order_id:
        bump(ORDER, order_id)


def _merchant_changed(sender, instance, **kwargs):
    merchant_id = instance.pk if sender.__name__ == "Merchant" else instance.merchant_id
    if merchant_id:
        bump(MERCHANT, merchant_id)


def _customer_changed(sender, instance, created=False, **kwargs):
    # The page shows times in the buyer's time zone, and 404s once the buyer is erased.
    if instance.pk and not created:
        bump(CUSTOMER, instance.pk)


def connect_signals() -> None:
    from orders.models import (
        Benefit,
        Customer,
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
    post_save.connect(_customer_changed, sender=Customer, dispatch_uid="tracking-Customer")
    post_delete.connect(_customer_changed, sender=Customer, dispatch_uid="tracking-del-Customer")
