"""Django's PostgreSQL backend with a health check that asks the socket before the server.

CONN_HEALTH_CHECKS is what lets a web process or worker survive PostgreSQL restarting
(tests/reliability/test_postgres_connections.py): Django checks a kept connection with
`SELECT 1` before each request's first query. That was a round trip per ingested order,
~0.04 ms of PostgreSQL's CPU and as much of the web process's (#16, third round).

A server that ends a session (a restart, pg_terminate_backend, an idle timeout) sends
its reason and closes the socket, which makes the socket readable; an idle session of
ours has nothing to read (we LISTEN for nothing). So a connection that is open, outside
any transaction, with nothing to read is usable as it is; in every other case Django's
own check runs, `SELECT 1`. A server that vanished without a word (its machine gone)
is noticed by the first query, as a server dying after the check always was.
"""

import select

from django.db.backends.postgresql import base

_IDLE = 0  # libpq's PQTRANS_IDLE: connected, no transaction open (psycopg2 and psycopg)


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if (
            connection is not None
            and not connection.closed
            and connection.info.transaction_status == _IDLE
            and not _readable(connection.fileno())
        ):
            return True
        return super().is_usable()


def _readable(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))
