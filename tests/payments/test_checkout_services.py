"""Placing orders with each payment method, and the payment services around them: fees and limits, manual payments,
reconciliation with Stripe, refunds and expired reservations (localstripe for everything card)."""

import datetime
import uuid

import pytest
from django.utils import timezone

from payments import services
from payments.exceptions import PaymentError
from payments.models import Payment, PaymentSettings, Refund
from shop.catalog.models import Variant
from shop.orders import services as order_services
from shop.orders.exceptions import CheckoutError
from shop.orders.models import Cart, CartLine, Order, OrderEvent
from tests.factories import UserFactory, VariantFactory

from .support import authenticate_3ds, details, place_order, raw_card_payment_method

pytestmark = pytest.mark.django_db

Method = Order.PaymentMethod


def _cart(variant, quantity=1):
    cart = Cart.objects.create()
    order_services.cart_add(cart=cart, variant_id=variant.pk, quantity=quantity)
    return cart


def _place(cart, method, **overrides):
    return services.checkout_place_order(
        cart=cart, checkout_token=uuid.uuid4(), details=details(payment_method=method, **overrides)
    )


def _paid_card_order(localstripe_server, variant=None):
    order = place_order(variant or VariantFactory(price=1980, stock=5), quantity=2)
    services.card_payment_prepare(order=order)
    assert services.card_payment_confirm(order=order, payment_method="pm_card_visa").status == "succeeded"
    order.refresh_from_db()
    return order


def test_each_method_gets_its_terms(stripe_settings):
    variant = VariantFactory(price=1980, stock=10)

    card = _place(_cart(variant, 2), Method.CARD)
    bank = _place(_cart(variant, 2), Method.BANK_TRANSFER)
    cod = _place(_cart(variant, 2), Method.COD)

    assert (card.status, card.payment_fee, card.total) == (Order.Status.PENDING_PAYMENT, 0, 4560)
    assert card.reserved_until is not None and card.payment_due is None
    assert not card.payments.exists()
    assert (bank.status, bank.payment_fee, bank.total) == (Order.Status.PENDING_PAYMENT, 0, 4560)
    assert bank.payment_due == timezone.localdate() + datetime.timedelta(days=7)
    assert timezone.localtime(bank.reserved_until).date() == bank.payment_due
    assert (cod.status, cod.payment_fee, cod.total) == (Order.Status.PROCESSING, 330, 4890)
    assert cod.reserved_until is None
    for order in (bank, cod):
        payment = Payment.objects.get(order=order)
        assert (payment.method, payment.status, payment.amount) == (
            order.payment_method,
            Payment.Status.PENDING,
            order.total,
        )
    assert Variant.objects.get(pk=variant.pk).stock == 4


@pytest.mark.parametrize("method", [Method.CARD, Method.BANK_TRANSFER, Method.COD])
def test_disabled_method_is_refused_and_nothing_is_reserved(stripe_settings, method):
    PaymentSettings.objects.update_or_create(
        pk=1, defaults={"card_enabled": False, "bank_transfer_enabled": False, "cod_enabled": False}
    )
    variant = VariantFactory(stock=3)
    cart = _cart(variant)
    with pytest.raises(CheckoutError):
        _place(cart, method)
    assert not Order.objects.exists()
    assert Variant.objects.get(pk=variant.pk).stock == 3
    assert CartLine.objects.filter(cart=cart).count() == 1


def test_card_is_refused_when_stripe_is_not_configured(settings):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_PUBLISHABLE_KEY = ""
    with pytest.raises(CheckoutError):
        _place(_cart(VariantFactory(stock=3)), Method.CARD)
    assert not Order.objects.exists()


def test_cash_on_delivery_limit_counts_what_the_driver_collects():
    """The carrier's limit is on the amount collected at the door: items + shipping + the COD fee."""
    PaymentSettings.objects.update_or_create(pk=1, defaults={"cod_max_total": 5000, "cod_fee": 330})
    variant = VariantFactory(price=1980, stock=5)
    cart = _cart(variant, 2)  # 3,960 + express 1,100 + fee 330 = 5,390 > 5,000

    with pytest.raises(CheckoutError):
        _place(cart, Method.COD, shipping_method_id=details(shipping="express").shipping_method_id)

    assert not Order.objects.exists()
    assert Variant.objects.get(pk=variant.pk).stock == 5


def test_cash_on_delivery_within_the_limit():
    PaymentSettings.objects.update_or_create(pk=1, defaults={"cod_max_total": 5390, "cod_fee": 330})
    order = _place(
        _cart(VariantFactory(price=1980, stock=5), 2),
        Method.COD,
        shipping_method_id=details(shipping="express").shipping_method_id,
    )
    assert order.total == 5390


def test_empty_cart_and_sold_out_items_are_refused(stripe_settings):
    with pytest.raises(CheckoutError):
        _place(Cart.objects.create(), Method.BANK_TRANSFER)

    variant = VariantFactory(stock=3)
    cart = _cart(variant, 3)
    Variant.objects.filter(pk=variant.pk).update(stock=2)  # someone else bought one meanwhile
    with pytest.raises(CheckoutError, match="2"):
        _place(cart, Method.BANK_TRANSFER)
    Variant.objects.filter(pk=variant.pk).update(stock=0)
    with pytest.raises(CheckoutError):
        _place(cart, Method.BANK_TRANSFER)
    assert not Order.objects.exists()
    assert CartLine.objects.get(cart=cart).quantity == 3  # the shopper can fix the cart


def test_same_token_gives_the_same_order():
    cart = _cart(VariantFactory(stock=5), 2)
    token = uuid.uuid4()
    first = services.checkout_place_order(
        cart=cart, checkout_token=token, details=details(payment_method=Method.BANK_TRANSFER)
    )
    again = services.checkout_place_order(
        cart=cart, checkout_token=token, details=details(payment_method=Method.BANK_TRANSFER)
    )
    assert again.pk == first.pk
    assert Order.objects.count() == 1
    assert Payment.objects.filter(order=first).count() == 1


# --- Manual payments -----------------------------------------------------------------------------------------------


def test_staff_mark_a_bank_transfer_paid_once():
    staff = UserFactory(is_staff=True)
    order = place_order(VariantFactory(stock=5), payment_method=Method.BANK_TRANSFER)

    assert services.manual_payment_mark_paid(order_id=order.pk, actor=staff) is True
    assert services.manual_payment_mark_paid(order_id=order.pk, actor=staff) is False

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.amount, payment.recorded_by) == (Payment.Status.SUCCEEDED, order.total, staff)
    assert OrderEvent.objects.filter(order=order, message="Payment confirmed by staff").count() == 1


def test_card_orders_cannot_be_marked_paid_by_hand(stripe_settings):
    order = place_order(VariantFactory(stock=5))
    with pytest.raises(PaymentError):
        services.manual_payment_mark_paid(order_id=order.pk, actor=UserFactory(is_staff=True))
    order.refresh_from_db()
    assert order.paid_at is None


# --- Reconciliation ------------------------------------------------------------------------------------------------


def test_reconcile_applies_a_success_the_shop_never_heard_of(stripe_settings, localstripe_server):
    order = place_order(VariantFactory(stock=5))
    services.card_payment_prepare(order=order)
    pending = services.card_payment_confirm(order=order, payment_method=raw_card_payment_method(localstripe_server.url))
    authenticate_3ds(localstripe_server.url, pending.client_secret)  # neither the browser nor a webhook came back

    assert services.payments_reconcile() == 0  # too recent: the browser may still be on its way
    assert services.payments_reconcile(older_than=datetime.timedelta(0)) == 1
    assert services.payments_reconcile(older_than=datetime.timedelta(0)) == 0

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert OrderEvent.objects.filter(order=order, message="Card payment received").count() == 1


# --- Refunds -------------------------------------------------------------------------------------------------------


def test_card_refunds_go_through_stripe_and_never_exceed_the_payment(stripe_settings, localstripe_server):
    staff = UserFactory(is_staff=True)
    order = _paid_card_order(localstripe_server)

    refund = services.refund_order(order_id=order.pk, amount=1000, actor=staff, reason="サイズ交換")

    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.stripe_refund.startswith("re_")
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (Order.Status.PARTIALLY_REFUNDED, 1000)
    for amount in (0, -1, order.total - 1000 + 1):
        with pytest.raises(PaymentError):
            services.refund_order(order_id=order.pk, amount=amount, actor=staff)
    services.refund_order(order_id=order.pk, amount=order.total - 1000, actor=staff)
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == (Order.Status.REFUNDED, order.total)
    assert Payment.objects.get(order=order).refunded_amount == order.total
    with pytest.raises(PaymentError):
        services.refund_order(order_id=order.pk, amount=1, actor=staff)
    assert Refund.objects.filter(payment__order=order, status=Refund.Status.SUCCEEDED).count() == 2


def test_unpaid_orders_cannot_be_refunded():
    order = place_order(VariantFactory(stock=5), payment_method=Method.BANK_TRANSFER)
    with pytest.raises(PaymentError):
        services.refund_order(order_id=order.pk, amount=100, actor=UserFactory(is_staff=True))
    assert not Refund.objects.exists()


# --- Reservation expiry racing a card payment -----------------------------------------------------------------------


def test_payment_after_the_reservation_expired_is_flagged_for_a_refund(stripe_settings, localstripe_server):
    variant = VariantFactory(stock=5)
    order = place_order(variant, quantity=2)
    services.card_payment_prepare(order=order)
    pending = services.card_payment_confirm(order=order, payment_method=raw_card_payment_method(localstripe_server.url))
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - datetime.timedelta(minutes=1))
    assert order_services.order_release_expired_reservations() == 1
    assert Variant.objects.get(pk=variant.pk).stock == 5

    authenticate_3ds(localstripe_server.url, pending.client_secret)  # the shopper finishes 3-D Secure too late
    services.card_payment_complete(order=order)

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.paid_at is None
    assert order.flagged_reason  # staff must refund the money Stripe took
    assert Payment.objects.get(order=order).status == Payment.Status.SUCCEEDED
    assert Variant.objects.get(pk=variant.pk).stock == 5
