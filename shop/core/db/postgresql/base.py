"""Django's PostgreSQL backend, whose health check looks at the connection before asking the server.

With CONN_HEALTH_CHECKS, Django checks a kept connection at the first query of each request by running `SELECT 1`:
a round trip, and about a quarter of the CPU of a member's session read, on every request. Here the connection's
socket is polled first, without waiting. An idle connection that PostgreSQL closed (a restart, pg_terminate_backend,
an idle timeout) has the server's goodbye or the end of the stream waiting on it: then, and whenever the connection
is not idle or cannot be polled, Django's `SELECT 1` decides, as before (it fails, Django closes the connection and
the request's query opens a new one). A healthy idle connection has nothing waiting and is used as it is.

Its timestamps (`timestamptz` columns) are read by psycopg's C loader. Django's own loader is a Python subclass of
psycopg's Python one, so with psycopg[binary] every datetime column a page reads was parsed in Python: about 3.7 µs a
value (0.6% of a member's product page's instructions). The loader here gives the same value (the connection's time
zone is Django's, and the time zone set on the result is Django's, as its loader does) for about 1 µs.

psycopg remembers how it turned a statement's placeholders into PostgreSQL's ($1, $2...) only for statements of up
to 4096 bytes and 50 parameters (`psycopg._queries`: an ORM's long statements seldom repeat). The shop's compiled
statements (shop.core.compiled) repeat on every view, and the product page's with a member's columns is 5.4 KB with 68
parameters: parsing it again on every run cost about a million instructions, 8% of the page. The limits are raised
here for every statement; psycopg keeps its 128 most recent.
"""

import functools
import select

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import get_adapters_template
from psycopg import _queries, adapt, pq
from psycopg.postgres import types

_queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, 16 * 1024)
_queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, 200)

_TIMESTAMPTZ_OID = types["timestamptz"].oid


@functools.lru_cache
def _adapters(use_tz: bool, timezone) -> adapt.AdaptersMap:
    """Django's adapters (psycopg_any.get_adapters_template) with the faster timestamptz loader."""
    adapters = adapt.AdaptersMap(get_adapters_template(use_tz, timezone))
    adapters.register_loader(_TIMESTAMPTZ_OID, _timestamptz_loader(timezone))
    return adapters


def _timestamptz_loader(zone) -> type[adapt.Loader]:
    """Django's BaseTzLoader (a timestamp of the connection's time zone, given the time zone `zone`, None: naive)
    on psycopg's own loader, which is in C when psycopg[binary] or psycopg[c] is installed."""
    psycopg_loader = psycopg.adapters.get_loader(_TIMESTAMPTZ_OID, pq.Format.TEXT)

    class TimestamptzLoader(adapt.Loader):
        timezone = zone  # Django's create_cursor compares it with the connection's

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self._load = psycopg_loader(oid, context).load

        def load(self, data):
            return self._load(data).replace(tzinfo=self.timezone)

    return TimestamptzLoader


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        params["context"] = _adapters(settings.USE_TZ, self.timezone)
        return params

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
