"""A Celery worker killed five times (SIGKILL, mid-task) while 200 tasks run: every effect is applied exactly once.

The tasks are the loyalty work of 200 paid orders (coupon use, points earned, rank). Tasks are acknowledged late,
so a task whose worker died goes back to the queue (after the visibility timeout, lowered here to a few seconds)
and runs again; the ledger's unique source keys make the second run change nothing.
"""

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from django.db.models import Count
from django.utils import timezone

from loyalty.models import PointEntry
from shop.orders.models import Order
from tests.conftest import _database_url, _die_with_parent
from tests.factories import OrderFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True)]

ORDERS = 200
KILLS = 5


def _paid_order(user) -> Order:
    return OrderFactory(user=user, status=Order.Status.PAID, subtotal=3000, shipping_fee=500, paid_at=timezone.now())


class Workers:
    """Starts `celery -A shop worker` processes on a queue of their own, one at a time, and kills them."""

    def __init__(self, settings, tmp_path, queue):
        from django.db import connection

        self.queue = queue
        self.log_path = tmp_path / "workers.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "shop.settings.dev",
            "DATABASE_URL": _database_url(connection.settings_dict),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "CELERY_VISIBILITY_TIMEOUT": "4",
            "CELERY_UNACKED_RESTORE_INTERVAL": "1",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "PYTHONUNBUFFERED": "1",
        }
        self.process = None
        self.settings = settings

    def start(self):
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    *("-m", "celery", "-A", "shop", "worker", "--pool=solo", "--loglevel=INFO"),
                    *("--queues", self.queue, "--hostname", f"{self.queue}-{uuid.uuid4().hex[:6]}@%h"),
                    *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                ],
                cwd=self.settings.BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _earned() -> int:
    return PointEntry.objects.filter(kind=PointEntry.Kind.ORDER).count()


def _wait(condition, *, timeout, what, log_path):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {what}. Worker log:\n{log_path.read_text(errors='replace')[-3000:]}")
        time.sleep(0.05)


def test_every_effect_is_applied_once_although_the_worker_is_killed_five_times(settings, tmp_path):
    import redis

    from loyalty import tasks
    from shop.celery import app

    members = [UserFactory(email=f"killed-{n}@example.jp") for n in range(20)]
    orders = [_paid_order(members[n % len(members)]) for n in range(ORDERS)]
    queue = f"test-kill-{uuid.uuid4().hex[:12]}"
    workers = Workers(settings, tmp_path, queue)
    saved = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager, app.conf.task_default_queue = False, queue
    try:
        for order in orders:
            tasks.order_paid.delay(order.pk)
        for kill in range(KILLS):
            workers.start()
            # Let this worker get some way into the queue, then kill it mid-stream (no clean shutdown).
            target = min(ORDERS - 1, _earned() + 15)
            _wait(lambda t=target: _earned() >= t, timeout=60, what=f"progress before kill {kill + 1}",
                  log_path=workers.log_path)  # fmt: skip
            workers.kill()
        workers.start()
        _wait(lambda: _earned() >= ORDERS, timeout=120, what="all 200 orders", log_path=workers.log_path)
        time.sleep(6)  # longer than the visibility timeout: a late redelivery would show up now
    finally:
        workers.stop()
        app.conf.task_always_eager, app.conf.task_default_queue = saved
        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(
            queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
        )

    log = workers.log_path.read_text(errors="replace")
    assert log.count(" ready.") == KILLS + 1  # six workers ran, five of them were killed
    per_order = PointEntry.objects.filter(kind=PointEntry.Kind.ORDER).values("order").annotate(n=Count("id"))
    assert len(per_order) == ORDERS and {row["n"] for row in per_order} == {1}
    # Each member's points: 1% of ¥3,000 per order, ×1.2 once the member's earlier orders reach the silver rank.
    assert set(PointEntry.objects.filter(kind=PointEntry.Kind.ORDER).values_list("amount", flat=True)) <= {30, 36}
