"""shop.core.db.postgresql: the health check polls the connection before asking PostgreSQL."""

import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from shop.catalog.models import Category

pytestmark = pytest.mark.django_db(transaction=True)


def _other_connection():
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def _last_query(pid: int) -> str:
    with _other_connection() as other:
        return other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0]


def test_the_shop_runs_on_its_backend_with_health_checks():
    assert settings.DATABASES["default"]["ENGINE"] == "shop.core.db.postgresql"
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_a_healthy_idle_connection_is_used_without_a_round_trip():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 42")
    pid = connection.connection.info.backend_pid
    assert connection.is_usable()
    assert _last_query(pid) == "SELECT 42", "no SELECT 1 was sent"


def test_a_connection_postgresql_closed_is_replaced_at_the_next_request():
    Category.objects.count()
    pid = connection.connection.info.backend_pid
    with _other_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _backend_alive(pid):
        time.sleep(0.05)

    assert not connection.is_usable()
    connection.health_check_done = False  # as at the start of a request (close_old_connections)
    connection.close_if_health_check_failed()
    assert connection.connection is None, "closed"
    assert Category.objects.count() == 0, "the query opens a new connection"
    assert connection.connection.info.backend_pid != pid


def _backend_alive(pid: int) -> bool:
    with _other_connection() as other:
        return other.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0] > 0
