"""Is every outside service the shop needs reachable? One read-only check per service, for
`manage.py check_integrations` (it lives in the top layer because it looks at payments and notifications alike)."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.mail import get_connection
from django.db import connection
from django.utils import timezone

OK, FAILED, SKIPPED = "ok", "FAILED", "not configured"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str


def _database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Check("Database", OK, connection.vendor)


def _redis() -> Check:
    if not settings.REDIS_URL:
        return Check("Redis", SKIPPED, "REDIS_URL is empty: local memory cache, tasks run inline")
    cache.set("check_integrations", "1", 10)
    if cache.get("check_integrations") != "1":
        return Check("Redis", FAILED, "the cache did not keep a value")
    return Check("Redis", OK, settings.REDIS_URL.rsplit("@", 1)[-1])


def _stripe() -> Check:
    from payments import gateway

    if not gateway.is_configured():
        return Check("Stripe", SKIPPED, "STRIPE_SECRET_KEY / STRIPE_PUBLISHABLE_KEY are empty: no card payments")
    where = gateway.ping()
    webhook = "webhook secret set" if settings.STRIPE_WEBHOOK_SECRET else "STRIPE_WEBHOOK_SECRET is empty"
    return Check("Stripe", OK if settings.STRIPE_WEBHOOK_SECRET else FAILED, f"{where}; {webhook}")


def _line() -> Check:
    from shop.notifications.channels import line

    if not settings.LINE_CHANNEL_ACCESS_TOKEN:
        return Check("LINE", SKIPPED, "LINE_CHANNEL_ACCESS_TOKEN is empty: no LINE messages")
    account = line.bot_info()
    secret = "webhook secret set" if settings.LINE_CHANNEL_SECRET else "LINE_CHANNEL_SECRET is empty"
    return Check("LINE", OK if settings.LINE_CHANNEL_SECRET else FAILED, f"{account}; {secret}")


def _email() -> Check:
    mail = get_connection()
    mail.open()
    mail.close()
    return Check("E-mail", OK, settings.EMAIL_BACKEND.rsplit(".", 2)[-2])


def _worker() -> Check:
    from shop.celery import app

    if app.conf.task_always_eager:
        return Check("Celery worker", OK, "tasks run inline (no REDIS_URL): no worker needed")
    replies = app.control.ping(timeout=2.0)
    if not replies:
        return Check("Celery worker", FAILED, "no worker answered within 2 s")
    return Check("Celery worker", OK, ", ".join(sorted(name for reply in replies for name in reply)))


def _beat(now: datetime.datetime) -> Check:
    from django_celery_beat.models import PeriodicTask

    from shop.celery import app

    if app.conf.task_always_eager:
        return Check("Celery beat", SKIPPED, "tasks run inline: run the periodic commands from cron instead")
    last = PeriodicTask.objects.filter(enabled=True).order_by("-last_run_at").values_list("last_run_at", flat=True)
    last_run = next(iter(last), None)
    # Several jobs run every minute: a beat that ran nothing for five minutes is not running.
    if last_run is None or now - last_run > datetime.timedelta(minutes=5):
        return Check("Celery beat", FAILED, f"last periodic task sent: {last_run or 'never'}")
    return Check("Celery beat", OK, f"last periodic task sent {int((now - last_run).total_seconds())} s ago")


def integrations_check(*, now: datetime.datetime | None = None) -> list[Check]:
    now = now or timezone.now()
    checks = []
    for name, check in [
        ("Database", _database),
        ("Redis", _redis),
        ("Stripe", _stripe),
        ("LINE", _line),
        ("E-mail", _email),
        ("Celery worker", _worker),
        ("Celery beat", lambda: _beat(now)),
    ]:
        try:
            checks.append(check())
        except Exception as error:  # noqa: BLE001 - any failure of a service is the answer, not a crash
            checks.append(Check(name, FAILED, f"{type(error).__name__}: {error}"[:200]))
    return checks
