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
        pipe = client.pipeline(transaction=False)
        pipe.set(key, 0, ex=timeout, nx=True)
        pipe.incr(key)
        return pipe.execute()[1]
    cache.add(cache_key, 0, timeout=timeout)
    return cache.incr(cache_key)
