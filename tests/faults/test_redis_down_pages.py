"""Redis down (cache and Celery broker): pages answer, checkout works, nothing turns into a 500.

Found by bench/fault_redis_outage.py: with Redis stopped, every page that read the cache was a 500 (Django's Redis
cache raises when it cannot connect), the perks badge's refresh task was published outside any error handling
(another 500 on every page with an empty cache), and switching a declined card order to bank transfer published
its confirmation task in a plain on-commit hook (a 500 after the switch had been committed).
"""

import uuid

import pytest
from django.core.cache import cache
from kombu import pools

from payments import services
from shop.core.cache import ResilientRedisCache
from shop.notifications.models import Notification
from shop.orders import services as order_services
from shop.orders.models import Cart, Order
from tests.factories import VariantFactory
from tests.payments.support import details

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused at once


@pytest.fixture
def redis_down(settings, monkeypatch):
    """The cache and the broker both point at a Redis that is not there; tasks are published, not run inline."""
    from shop.celery import app

    def reconnect():
        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    # The raw values: `app.conf.broker_write_url` reads as broker_url when unset, and writing that back would pin
    # every later connection_for_write() (the health check's) to this dead URL.
    saved = {key: app.conf.get(key) for key in ("task_always_eager", "broker_url", "broker_write_url")}
    settings.CACHES = {"default": {"BACKEND": "shop.core.cache.ResilientRedisCache", "LOCATION": DEAD_REDIS}}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.broker_url = DEAD_REDIS
    app.conf.broker_write_url = None
    reconnect()
    try:
        yield
    finally:
        app.conf.update(saved)
        reconnect()


def test_the_cache_degrades_to_a_miss_while_redis_is_unreachable():
    down = ResilientRedisCache(DEAD_REDIS, {})
    assert down.get("key") is None
    assert down.get("key", "fallback") == "fallback"
    assert down.get_many(["a", "b"]) == {}
    assert down.has_key("key") is False
    down.set("key", "value")  # dropped, no error
    assert down.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert down.delete("key") is False
    down.delete_many(["a", "b"])
    assert down.get_or_set("key", lambda: "computed") == "computed"
    # add() is used as a lock and as a "used once" marker: without Redis nothing is ever granted.
    assert down.add("lock", 1) is False
    with pytest.raises(ValueError, match="unavailable"):
        down.incr("counter")


def test_the_cache_works_as_usual_when_redis_is_there():
    cache.set("resilient-test", "value", 30)
    assert cache.get("resilient-test") == "value"
    assert cache.add("resilient-test", "other") is False
    assert cache.add("resilient-test-new", 1, 30) is True
    assert cache.incr("resilient-test-new") == 2


@pytest.mark.django_db
def test_pages_answer_while_redis_is_down(client, redis_down):
    variant = VariantFactory(price=2980, stock=5)
    product = variant.product
    for path in ("/", "/products/", f"/p/{product.slug}/", "/cart/", "/accounts/login/"):
        assert client.get(path).status_code == 200, path
    # The health check is the one place that says Redis is down.
    assert client.get("/healthz").status_code == 503


@pytest.mark.django_db
def test_a_guest_checks_out_by_bank_transfer_while_redis_is_down(
    client, redis_down, shipping_methods, django_capture_on_commit_callbacks
):
    variant = VariantFactory(price=2980, stock=5)
    assert client.post("/cart/add/", {"variant": variant.pk, "quantity": 1}).status_code == 302
    form = {
        **{k: v for k, v in vars(details()).items() if k not in {"shipping_method_id", "language"}},
        "shipping_method": shipping_methods[0].pk,
        "payment_method": "bank_transfer",
    }
    assert client.post("/checkout/", form).status_code == 302
    review = client.get("/checkout/review/")
    assert review.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        placed = client.post("/checkout/review/", {"token": review.context["token"]})
    assert placed.status_code == 302
    assert "/checkout/thanks/" in placed["Location"]
    assert client.get(placed["Location"]).status_code == 200
    order = Order.objects.get()
    # The confirmation is in the outbox (the sweeper sends it once Redis is back).
    assert Notification.objects.filter(kind="order_confirmation", batch_key=f"order_confirmation:{order.pk}").exists()


@pytest.mark.django_db
def test_switching_to_bank_transfer_while_the_broker_is_down_writes_the_confirmation(
    settings, redis_down, shipping_methods, django_capture_on_commit_callbacks
):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY = "sk_test_shop", "pk_test_shop"
    cart = Cart.objects.create()
    order_services.cart_add(cart=cart, variant_id=VariantFactory(price=2980, stock=5).pk, quantity=1)
    order = services.checkout_place_order(cart=cart, checkout_token=uuid.uuid4(), details=details())
    assert not Notification.objects.filter(kind="order_confirmation").exists()  # a card order: not due yet

    with django_capture_on_commit_callbacks(execute=True):
        services.payment_method_switch(order_id=order.pk, method=Order.PaymentMethod.BANK_TRANSFER)

    order.refresh_from_db()
    assert order.payment_method == Order.PaymentMethod.BANK_TRANSFER
    assert order.confirmation_sent_at is not None
    rows = Notification.objects.filter(kind="order_confirmation", batch_key=f"order_confirmation:{order.pk}")
    assert rows.count() == 1
    assert rows.get().status == Notification.Status.PENDING  # delivered by the sweeper once Redis is back
