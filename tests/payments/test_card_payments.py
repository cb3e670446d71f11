"""Card payments through the payment services against a real localstripe process (no mocks)."""

import datetime
import urllib.error

import pytest
from django.utils import translation
from django.utils.translation import gettext

from payments import services
from payments.exceptions import PaymentError
from payments.models import Payment
from payments.selectors import order_payments
from shop.catalog.models import Variant
from shop.notifications.models import Notification
from shop.orders.models import Order, OrderEvent
from tests.factories import VariantFactory

from .support import authenticate_3ds, intent_get, intents_of_customer, place_order, raw_card_payment_method

pytestmark = pytest.mark.django_db

PAID_NOTE = "Card payment received"  # the OrderEvent note _apply_intent gives order_mark_paid
DECLINED = "Your card was declined. Please try another card or another payment method."
THREE_DS_FAILED = "The card could not be authenticated (3-D Secure). Please try again or use another card."


@pytest.fixture
def order(stripe_settings):
    variant = VariantFactory(price=1980, stock=5)
    return place_order(variant, quantity=2)  # 3,960 + 600 standard shipping (free from 5,000)


def _paid_events(order):
    return OrderEvent.objects.filter(order=order, message=PAID_NOTE)


def test_card_order_waits_for_payment_with_stock_held(order):
    assert order.payment_method == Order.PaymentMethod.CARD
    assert order.status == Order.Status.PENDING_PAYMENT
    assert (order.subtotal, order.shipping_fee, order.payment_fee, order.total) == (3960, 600, 0, 4560)
    assert order.reserved_until is not None and order.paid_at is None
    assert Variant.objects.get(pk=order.lines.get().variant_id).stock == 3
    assert not order.payments.exists()  # the card attempt is opened by the pay page, not at placing


def test_card_payment_succeeds(order, localstripe_server):
    checkout = services.card_payment_prepare(order=order)
    assert checkout.payment.status == Payment.Status.PENDING
    assert checkout.payment.stripe_customer.startswith("cus_")
    assert checkout.setup_client_secret.startswith("seti_")
    assert checkout.publishable_key == "pk_test_shop"

    result = services.card_payment_confirm(order=order, payment_method="pm_card_visa")

    assert result.status == "succeeded", result
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.paid_at is not None
    assert order.reserved_until is None
    payment = Payment.objects.get(order=order)
    assert payment.pk == checkout.payment.pk
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.amount == 4560
    assert (payment.card_brand, payment.card_last4) == ("visa", "4242")
    assert payment.stripe_payment_intent.startswith("pi_")
    assert payment.stripe_charge.startswith("ch_")
    assert payment.error_code == ""
    events = _paid_events(order)
    assert events.count() == 1
    assert events.get().status == Order.Status.PAID
    # What Stripe holds matches the order: integer yen, JPY, and the order's ids in the metadata.
    intent = intent_get(localstripe_server.url, payment.stripe_payment_intent)
    assert intent["status"] == "succeeded"
    assert (intent["amount"], intent["currency"]) == (4560, "jpy")
    assert intent["metadata"]["order_number"] == order.number
    assert intent["metadata"]["payment_id"] == str(payment.pk)


def test_declined_card_then_another_card(order, localstripe_server):
    first = services.card_payment_prepare(order=order).payment

    with translation.override("ja"):
        declined = services.card_payment_confirm(order=order, payment_method="pm_card_chargeCustomerFail")
        # The Japanese catalogue's text for the decline (the English msgid while it is still untranslated).
        expected = gettext(DECLINED)

    assert declined.status == "failed"
    assert declined.message == expected
    assert "card_declined" not in declined.message
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.paid_at is None
    first.refresh_from_db()
    assert first.status == Payment.Status.FAILED
    assert first.error_code == "card_declined"
    assert first.error_message

    # The failed attempt is closed: confirming again without opening a new attempt is refused.
    with pytest.raises(PaymentError):
        services.card_payment_confirm(order=order, payment_method="pm_card_visa")

    second = services.card_payment_prepare(order=order).payment
    assert second.pk != first.pk
    result = services.card_payment_confirm(order=order, payment_method="pm_card_visa")

    assert result.status == "succeeded"
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.status == Payment.Status.SUCCEEDED
    assert second.stripe_payment_intent.startswith("pi_")
    assert second.stripe_payment_intent != first.stripe_payment_intent
    assert first.status == Payment.Status.FAILED  # history keeps the decline
    assert [p.status for p in order_payments(order=order)] == [Payment.Status.FAILED, Payment.Status.SUCCEEDED]
    assert len(intents_of_customer(localstripe_server.url, second.stripe_customer)) == 1
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert _paid_events(order).count() == 1


def test_decline_message_follows_the_active_language(order):
    services.card_payment_prepare(order=order)
    with translation.override("en"):
        result = services.card_payment_confirm(order=order, payment_method="pm_card_chargeCustomerFail")
    # English shoppers get the English text even when the Japanese catalogue translates it.
    assert result.message == DECLINED
    with translation.override("ja"):
        assert services.decline_message("card_declined") == gettext(DECLINED)
        assert services.decline_message("payment_intent_authentication_failure") == gettext(THREE_DS_FAILED)
    with translation.override("en"):
        assert services.decline_message("card_declined") == DECLINED
        assert services.decline_message("payment_intent_authentication_failure") == THREE_DS_FAILED


def test_three_d_secure_card_needs_action_in_the_browser(order, localstripe_server):
    card = raw_card_payment_method(localstripe_server.url)
    payment = services.card_payment_prepare(order=order).payment

    result = services.card_payment_confirm(order=order, payment_method=card)

    assert result.status == "requires_action"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REQUIRES_ACTION
    assert payment.stripe_payment_intent.startswith("pi_")
    assert result.client_secret.startswith(f"{payment.stripe_payment_intent}_secret_")
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT and order.paid_at is None
    assert not _paid_events(order).exists()

    # A second submit (double click) reports the same attempt and creates no second PaymentIntent.
    again = services.card_payment_confirm(order=order, payment_method=card)
    assert again == result
    assert Payment.objects.filter(order=order).count() == 1
    assert len(intents_of_customer(localstripe_server.url, payment.stripe_customer)) == 1

    # Asking before the shopper authenticated changes nothing either.
    assert services.card_payment_complete(order=order).status == "requires_action"
    order.refresh_from_db()
    assert order.paid_at is None


def test_three_d_secure_completed_in_the_browser_pays_the_order(order, localstripe_server):
    services.card_payment_prepare(order=order)
    result = services.card_payment_confirm(order=order, payment_method=raw_card_payment_method(localstripe_server.url))
    assert result.status == "requires_action"

    assert authenticate_3ds(localstripe_server.url, result.client_secret, success=True)["status"] == "succeeded"
    completed = services.card_payment_complete(order=order)

    assert completed.status == "succeeded"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    payment = Payment.objects.get(order=order)
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.card_last4 == "3155"
    assert _paid_events(order).count() == 1
    # Completing twice (the browser retries) does not pay twice.
    assert services.card_payment_complete(order=order).status == "succeeded"
    assert _paid_events(order).count() == 1


def test_three_d_secure_failed_keeps_the_order_open(order, localstripe_server):
    services.card_payment_prepare(order=order)
    result = services.card_payment_confirm(order=order, payment_method=raw_card_payment_method(localstripe_server.url))
    authenticate_3ds(localstripe_server.url, result.client_secret, success=False)

    with translation.override("ja"):
        failed = services.card_payment_complete(order=order)
        expected = gettext(THREE_DS_FAILED)

    assert failed.status == "failed"
    assert failed.message == expected
    payment = Payment.objects.get(order=order)
    assert payment.status == Payment.Status.FAILED
    assert payment.error_code == "payment_intent_authentication_failure"
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT and order.paid_at is None
    # The shopper can try again with another card: a new attempt and a new PaymentIntent.
    services.card_payment_prepare(order=order)
    assert services.card_payment_confirm(order=order, payment_method="pm_card_visa").status == "succeeded"
    assert Payment.objects.filter(order=order).count() == 2
    assert Payment.objects.filter(order=order, status=Payment.Status.SUCCEEDED).count() == 1


def test_repeated_confirm_charges_once(order, localstripe_server):
    payment = services.card_payment_prepare(order=order).payment

    results = [services.card_payment_confirm(order=order, payment_method="pm_card_visa") for _ in range(3)]

    assert [r.status for r in results] == ["succeeded"] * 3
    assert Payment.objects.filter(order=order).count() == 1
    payment.refresh_from_db()
    intents = intents_of_customer(localstripe_server.url, payment.stripe_customer)
    assert [i["id"] for i in intents] == [payment.stripe_payment_intent]
    assert _paid_events(order).count() == 1


def test_reopening_the_pay_page_reuses_the_open_attempt(order):
    first = services.card_payment_prepare(order=order)
    second = services.card_payment_prepare(order=order)
    assert second.payment.pk == first.payment.pk
    assert Payment.objects.filter(order=order).count() == 1


def test_paid_or_non_card_orders_cannot_be_charged(order, stripe_settings):
    services.card_payment_prepare(order=order)
    services.card_payment_confirm(order=order, payment_method="pm_card_visa")
    order.refresh_from_db()
    with pytest.raises(PaymentError):
        services.card_payment_prepare(order=order)

    bank = place_order(VariantFactory(stock=3), payment_method=Order.PaymentMethod.BANK_TRANSFER)
    with pytest.raises(PaymentError):
        services.card_payment_prepare(order=bank)
    with pytest.raises(PaymentError):
        services.card_payment_confirm(order=bank, payment_method="pm_card_visa")
    with pytest.raises(PaymentError):
        services.card_payment_confirm(order=order, payment_method="4242424242424242")  # not a PaymentMethod id


def test_a_new_card_after_an_abandoned_3ds_cancels_it_first_so_the_order_is_charged_once(order, localstripe_server):
    """The shopper closes the 3-D Secure box, reloads the pay page and pays with another card; later the first
    attempt is authenticated after all (second tab). The new attempt cancels the abandoned one first: Stripe refuses
    to authenticate it, the order is charged once, and the shopper is not told their payment failed."""
    services.card_payment_prepare(order=order)
    pending = services.card_payment_confirm(order=order, payment_method=raw_card_payment_method(localstripe_server.url))
    assert pending.status == "requires_action"
    services.card_payment_prepare(order=order)  # the pay page again
    assert services.card_payment_confirm(order=order, payment_method="pm_card_visa").status == "succeeded"

    abandoned = Payment.objects.get(order=order, stripe_payment_intent=pending.client_secret.split("_secret_")[0])
    assert abandoned.status == Payment.Status.CANCELLED
    assert intent_get(localstripe_server.url, abandoned.stripe_payment_intent)["status"] == "canceled"
    with pytest.raises(urllib.error.HTTPError):
        authenticate_3ds(localstripe_server.url, pending.client_secret, success=True)
    services.payments_reconcile(older_than=datetime.timedelta(0))

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert _paid_events(order).count() == 1
    assert Payment.objects.filter(order=order, status=Payment.Status.SUCCEEDED).count() == 1
    customers = set(Payment.objects.filter(order=order).values_list("stripe_customer", flat=True))
    statuses = [
        intent["status"] for customer in customers for intent in intents_of_customer(localstripe_server.url, customer)
    ]
    assert sorted(statuses) == ["canceled", "succeeded"]
    assert not order.flagged_reason
    assert not Notification.objects.filter(kind="payment_failed").exists()


def test_an_abandoned_3ds_authenticated_before_the_new_card_pays_the_order_without_a_second_charge(
    order, localstripe_server
):
    """The first attempt was authenticated in the other tab before the shopper sent the new card: the order is paid
    by it, and the new card is not charged."""
    services.card_payment_prepare(order=order)
    pending = services.card_payment_confirm(order=order, payment_method=raw_card_payment_method(localstripe_server.url))
    services.card_payment_prepare(order=order)
    authenticate_3ds(localstripe_server.url, pending.client_secret, success=True)

    assert services.card_payment_confirm(order=order, payment_method="pm_card_visa").status == "succeeded"

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert _paid_events(order).count() == 1
    assert list(
        Payment.objects.filter(order=order).exclude(stripe_payment_intent=None).values_list("status", flat=True)
    ) == [Payment.Status.SUCCEEDED]
    assert not order.flagged_reason
