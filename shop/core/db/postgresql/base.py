"""Django's PostgreSQL backend, whose health check looks at the connection before asking the server.

With CONN_HEALTH_CHECKS, Django checks a kept connection at the first query of each request by running `SELECT 1`:
a round trip, and about a quarter of the CPU of a member's session read, on every request. Here the connection's
socket is polled first, without waiting. An idle connection that PostgreSQL closed (a restart, pg_terminate_backend,
an idle timeout) has the server's goodbye or the end of the stream waiting on it: then, and whenever the connection
is not idle or cannot be polled, Django's `SELECT 1` decides, as before (it fails, Django closes the connection and
the request's query opens a new one). A healthy idle connection has nothing waiting and is used as it is.
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if connection.info.transaction_status == pq.TransactionStatus.IDLE:
            try:
                poller = select.poll()
                poller.register(connection.fileno(), select.POLLIN)
                if not poller.poll(0):
                    return True
            except (OSError, ValueError):
                pass
        return super().is_usable()
