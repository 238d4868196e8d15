"""A small fixed-window rate limiter on the shared cache.

Used for sign-in, order lookup, public tracking endpoints and API quotas. When the
cache is unreachable it lets requests through rather than take the site down.
"""

import logging
import time
from dataclasses import dataclass

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window resets; 0 when allowed


def hit(key: str, *, limit: int, window: int) -> Verdict:
    """Count one hit on `key`; refuse once more than `limit` fall in `window` seconds."""
    now = int(time.time())
    window_start = now - now % window
    cache_key = f"rl:{key}:{window_start}"
    try:
        count = _count(cache_key, timeout=window + 1)
    except Exception:
        logger.warning("rate limiter cache unavailable; allowing %s", key)
        return Verdict(True, 0)
    if count > limit:
        return Verdict(False, window_start + window - now)
    return Verdict(True, 0)


def _count(cache_key: str, *, timeout: int) -> int:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # One round trip on the API's hot path instead of add + exists + incr.
        client = backend._cache.get_client(write=True)
        key = backend.make_and_validate_key(cache_key)
        return _set_and_incr(client.connection_pool, key.encode(), timeout)
    cache.add(cache_key, 0, timeout=timeout)
    return cache.incr(cache_key)


def _set_and_incr(pool, key: bytes, timeout: int) -> int:
    """SET key 0 EX timeout NX, then INCR key, sent together: the new count.

    Packed here, as tracking/cache.py's _evalsha does: redis-py's pipeline (command
    stack, encoding, callbacks, the retry wrapper) cost several times the round trip's
    own CPU on every API call (#16)."""
    parts = (b"SET", key, b"0", b"EX", b"%d" % timeout, b"NX")
    packed = b"*6\r\n" + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
    packed += b"*2\r\n$4\r\nINCR\r\n$%d\r\n%s\r\n" % (len(key), key)
    conn = pool.get_connection()
    try:
        conn.send_packed_command([packed])
        conn.read_response()  # OK, or None when the window's key was there already
        return conn.read_response()
    except BaseException:
        conn.disconnect()  # a reply may still be unread: never reuse this connection
        raise
    finally:
        pool.release(conn)
