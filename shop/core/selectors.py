"""Health of the services the shop depends on."""

from django.conf import settings
from django.core.cache import cache
from django.db import connection


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_cache() -> str:
    cache.set("healthz", "1", timeout=5)
    if cache.get("healthz") != "1":
        raise RuntimeError("cache did not return the value just written")
    return "ok"


def _check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    from shop.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


def health_status() -> tuple[bool, dict[str, str]]:
    """Return (all_ok, {service: "ok" | "eager" | "error: ..."})."""
    results = {}
    healthy = True
    for name, check in (("database", _check_database), ("cache", _check_cache), ("broker", _check_broker)):
        try:
            results[name] = check()
        except Exception as exc:  # noqa: BLE001 - a health check reports every failure, whatever its type
            healthy = False
            results[name] = f"error: {type(exc).__name__}"
    return healthy, results
