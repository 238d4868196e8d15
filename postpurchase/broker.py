"""kombu's Redis transport, without a new Redis client object for every message published.

kombu's Channel builds `redis.Redis(connection_pool=pool)` for each publish
(`conn_or_acquire`); redis-py fills ~170 response callbacks per instance, which cost a
tenth of the CPU of queueing a task (#16: every ingested order publishes its
congratulation after commit). A client holds no state besides its pool and is
thread-safe, so one per pool serves every call, as postpurchase/cache_backend.py does
for the cache. The worker's consuming client (`asynchronous=True`) is kombu's own.
"""

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _sync_client = None

    def _create_client(self, asynchronous=False):
        if asynchronous:
            return super()._create_client(asynchronous=True)
        client = self._sync_client
        # A closed channel drops its pool; the next call builds a new one, and a client for it.
        if client is None or client.connection_pool is not self.pool:
            client = self._sync_client = super()._create_client()
        return client


class Transport(kombu_redis.Transport):
    Channel = Channel
