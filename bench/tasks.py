"""The dispatch baseline: a Celery task that does nothing but count itself."""

import redis
from celery import shared_task
from django.conf import settings

COUNTER_KEY = "bench:noop:done"
_client = None


@shared_task(ignore_result=True)
def noop() -> None:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL)
    _client.incr(COUNTER_KEY)
