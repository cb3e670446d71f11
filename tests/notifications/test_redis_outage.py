"""Redis stopped while orders are paid: after Redis returns, every order confirmation is delivered exactly once.

The test runs its own throwaway redis-server on a free port (never the shared one) as Celery's broker and the cache,
with eager tasks off so that publishing really goes to it, stops it while the orders are paid, starts it again on
the same port and then runs the periodic jobs beat would run: the confirmation catch-up and the outbox sweep.
"""

import contextlib
import io
import shutil
import socket
import subprocess
import time
import uuid

import pytest
from django.core import mail
from django.core.management import call_command
from kombu import pools
from kombu.exceptions import OperationalError

from payments.models import Payment
from payments.services import checkout_place_order
from shop.notifications.models import Notification
from shop.orders import services as order_services
from shop.orders.models import Cart, Order
from tests.factories import VariantFactory
from tests.payments.support import details

Status = Notification.Status
ORDERS = 4

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server binary"),
]


class ThrowawayRedis:
    def __init__(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def _up(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
            return True
        return False

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self._up():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None
        deadline = time.monotonic() + 10
        while self._up():
            if time.monotonic() > deadline:
                pytest.fail(f"redis-server on port {self.port} did not stop")
            time.sleep(0.05)


@pytest.fixture
def redis_broker(settings):
    """Celery publishes to (and the cache lives in) a redis-server of this test's own; eager mode is off."""
    from shop.celery import app

    server = ThrowawayRedis()
    server.start()
    # The raw values, not the properties: `app.conf.broker_write_url` reads as broker_url when unset, and writing
    # that back would pin every later connection_for_write() to this URL whatever broker_url becomes.
    saved = {key: app.conf.get(key) for key in ("task_always_eager", "broker_url", "broker_write_url")}

    def reconnect():
        # Celery and kombu keep publishing pools per broker URL; fresh ones use the broker URL set here.
        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = server.url
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": server.url}}
    # The app read its configuration from the test settings already, so switch the app itself.
    app.conf.task_always_eager = False
    app.conf.broker_url = server.url
    app.conf.broker_write_url = None
    reconnect()
    try:
        yield server
    finally:
        server.stop()
        app.conf.update(saved)
        reconnect()


def _card_order(settings) -> Order:
    settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY = "sk_test_shop", "pk_test_shop"
    cart = Cart.objects.create()
    order_services.cart_add(cart=cart, variant_id=VariantFactory(price=2980, stock=5).pk, quantity=1)
    return checkout_place_order(cart=cart, checkout_token=uuid.uuid4(), details=details(email="buyer@example.jp"))


def test_confirmations_of_orders_paid_while_redis_is_down_are_delivered_once_it_is_back(
    settings, redis_broker, django_capture_on_commit_callbacks
):
    orders = [_card_order(settings) for _ in range(ORDERS)]
    assert not Notification.objects.exists()  # card orders are confirmed once paid

    redis_broker.stop()
    for order in orders:
        Payment.objects.create(
            order=order, method="card", status=Payment.Status.SUCCEEDED, amount=order.total,
            card_brand="visa", card_last4="4242",
        )  # fmt: skip
        # The payment commits whatever happens to the tasks its on-commit signal asks for. Today a receiver whose
        # task cannot be published raises here and stops the receivers after it (shop.orders sends with send()),
        # so the confirmation may not be written yet; what the shop owes is recorded on the order either way.
        with contextlib.suppress(OperationalError), django_capture_on_commit_callbacks(execute=True):
            order_services.order_mark_paid(order_id=order.pk, note="Card payment received")
    for order in orders:
        order.refresh_from_db()
        assert order.paid_at is not None
    # Nothing was delivered during the outage; whatever reached the outbox waits there.
    assert mail.outbox == []
    assert set(Notification.objects.values_list("status", flat=True)) <= {Status.PENDING}

    redis_broker.start()
    # What beat runs: the confirmation catch-up (every 5 minutes) and the outbox sweep (every minute).
    call_command("send_order_confirmations", stdout=io.StringIO())
    out = io.StringIO()
    call_command("send_pending_notifications", stdout=out)

    assert out.getvalue().strip() == f"sent: {ORDERS}"
    subjects = sorted(message.subject for message in mail.outbox)
    assert len(subjects) == ORDERS
    for order in orders:
        assert sum(order.number in subject for subject in subjects) == 1
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}

    # A second round of both jobs finds nothing: exactly once.
    catch_up = io.StringIO()
    call_command("send_order_confirmations", stdout=catch_up)
    assert catch_up.getvalue().strip() == "Confirmations written: 0"
    again = io.StringIO()
    call_command("send_pending_notifications", stdout=again)
    assert again.getvalue().strip() == "nothing due"
    assert len(mail.outbox) == ORDERS


def test_an_outbox_write_while_redis_is_down_does_not_fail_and_is_swept_once(
    settings, redis_broker, django_capture_on_commit_callbacks
):
    """The receiver's own path: writing the confirmation needs only the database; its publish fails quietly."""
    from payments import emails

    orders = [_card_order(settings) for _ in range(2)]
    Order.objects.filter(pk__in=[order.pk for order in orders]).update(payment_method="bank_transfer")

    redis_broker.stop()
    with django_capture_on_commit_callbacks(execute=True):
        assert all(emails.order_confirmation_enqueue(order_id=order.pk) for order in orders)
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.PENDING}
    assert mail.outbox == []

    redis_broker.start()
    call_command("send_pending_notifications", stdout=io.StringIO())
    call_command("send_pending_notifications", stdout=io.StringIO())
    assert sorted(len([m for m in mail.outbox if order.number in m.subject]) for order in orders) == [1, 1]
