"""Django's Redis cache, without building a new Redis client object on every call.

Django's RedisCacheClient.get_client() returns `redis.Redis(connection_pool=pool)`
each time; redis-py fills ~170 response callbacks per instance, which made a
single `cache.get()` cost as much as two Redis round trips (#10: every public
link's token-probe check pays it). A client is thread-safe and holds no state
besides its pool, so one per pool serves every call.
"""

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
