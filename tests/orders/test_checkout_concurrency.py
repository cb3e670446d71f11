"""Checkouts racing for the last units and the same checkout sent many times at once, on real PostgreSQL
connections (one per thread) and, for cards, the real localstripe process."""

import threading
import uuid

import pytest
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext

from payments import services as payment_services
from payments.models import Payment
from shop.catalog.models import Product, Variant
from shop.orders import services as order_services
from shop.orders.exceptions import CheckoutError
from shop.orders.models import Cart, CartLine, Order, OrderEvent, OrderLine
from tests.factories import VariantFactory
from tests.payments.support import details, intents_of_customer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shipping_methods")]


def _run_at_once(count: int, work):
    """Runs work(i) in `count` threads released together; returns each thread's result or exception."""
    barrier = threading.Barrier(count, timeout=30)
    results: list = [None] * count

    def run(i):
        try:
            results[i] = work(i, barrier)
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a checkout thread hung"
    return results


def test_fifty_shoppers_for_five_units_get_five_orders():
    variant = VariantFactory(price=1980, stock=5)

    def checkout(i, barrier):
        cart = Cart.objects.create()
        order_services.cart_add(cart=cart, variant_id=variant.pk, quantity=1)
        barrier.wait()
        return payment_services.checkout_place_order(
            cart=cart,
            checkout_token=uuid.uuid4(),
            details=details(payment_method=Order.PaymentMethod.BANK_TRANSFER, email=f"buyer{i}@example.jp"),
        )

    results = _run_at_once(50, checkout)

    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, CheckoutError)]
    others = [r for r in results if not isinstance(r, Order | CheckoutError)]
    assert not others, others
    assert len(orders) == 5
    assert len(refused) == 45
    variant.refresh_from_db()
    with translation.override("ja"):
        sold_out = gettext("“%(item)s” is sold out.") % {"item": variant}
    assert {str(error) for error in refused} == {sold_out}
    assert variant.stock == 0
    assert Order.objects.count() == 5
    assert OrderLine.objects.filter(variant=variant).count() == 5
    assert sum(OrderLine.objects.values_list("quantity", flat=True)) == 5
    assert Payment.objects.filter(method=Order.PaymentMethod.BANK_TRANSFER, status=Payment.Status.PENDING).count() == 5
    # The refused shoppers keep their carts; the listing shows the product as sold out.
    assert CartLine.objects.filter(variant=variant).count() == 45
    assert Product.objects.get(pk=variant.product_id).in_stock is False


def test_two_variants_locked_in_any_order_never_deadlock_or_oversell():
    first = VariantFactory(price=1000, stock=3)
    second = VariantFactory(price=1000, stock=3)

    def checkout(i, barrier):
        cart = Cart.objects.create()
        # Half the carts list the variants the other way round.
        for variant in (first, second) if i % 2 else (second, first):
            order_services.cart_add(cart=cart, variant_id=variant.pk, quantity=1)
        barrier.wait()
        return payment_services.checkout_place_order(
            cart=cart,
            checkout_token=uuid.uuid4(),
            details=details(payment_method=Order.PaymentMethod.BANK_TRANSFER),
        )

    results = _run_at_once(12, checkout)

    assert not [r for r in results if not isinstance(r, Order | CheckoutError)]
    assert sum(isinstance(r, Order) for r in results) == 3
    assert Variant.objects.get(pk=first.pk).stock == 0
    assert Variant.objects.get(pk=second.pk).stock == 0


def test_same_checkout_sent_ten_times_at_once_places_one_order_and_charges_once(stripe_settings, localstripe_server):
    variant = VariantFactory(price=1980, stock=5)
    cart = Cart.objects.create()
    order_services.cart_add(cart=cart, variant_id=variant.pk, quantity=2)
    token = uuid.uuid4()

    def place(i, barrier):
        barrier.wait()
        return payment_services.checkout_place_order(
            cart=Cart.objects.get(pk=cart.pk), checkout_token=token, details=details()
        )

    placed = _run_at_once(10, place)

    assert all(isinstance(r, Order) for r in placed), placed
    assert len({r.pk for r in placed}) == 1
    order = Order.objects.get()
    assert order.checkout_token == token
    assert order.total == 1980 * 2 + 600
    assert Variant.objects.get(pk=variant.pk).stock == 3
    assert OrderLine.objects.get(order=order).quantity == 2
    assert OrderEvent.objects.filter(order=order, message="Order placed").count() == 1

    checkout = payment_services.card_payment_prepare(order=order)

    def confirm(i, barrier):
        barrier.wait()
        return payment_services.card_payment_confirm(
            order=Order.objects.get(pk=order.pk), payment_method="pm_card_visa"
        )

    confirmed = _run_at_once(10, confirm)

    assert [getattr(r, "status", r) for r in confirmed] == ["succeeded"] * 10
    payment = Payment.objects.get(order=order)
    assert payment.pk == checkout.payment.pk
    assert payment.status == Payment.Status.SUCCEEDED
    assert [i["id"] for i in intents_of_customer(localstripe_server.url, payment.stripe_customer)] == [
        payment.stripe_payment_intent
    ]
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert OrderEvent.objects.filter(order=order, message="Card payment received").count() == 1
