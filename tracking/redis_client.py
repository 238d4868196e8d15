"""The Redis connection of the tracking page's cache and visit buffer."""

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

_client: redis.Redis | None = None


def connect(url: str) -> redis.Redis:
    # Fail fast: a Redis that is down or hung must cost a render or a direct write,
    # not seconds of backoff on a buyer's page. One immediate retry reconnects a
    # pooled connection that went stale (Redis restarted).
    return redis.Redis.from_url(
        url, socket_timeout=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 1)
    )


def redis_client() -> redis.Redis | None:
    """The shared Redis of REDIS_URL, or None without one (development: no cache, no buffer)."""
    global _client
    if _client is None and settings.REDIS_URL:
        _client = connect(settings.REDIS_URL)
    return _client
