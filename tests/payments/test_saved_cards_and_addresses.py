"""Returning shoppers: their saved card is offered and charged again, their last address fills the form."""

import pytest

from payments import services
from payments.models import Payment, StripeCustomer
from shop.accounts.models import Address
from shop.accounts.privacy_services import legal_accept_current
from shop.orders import services as order_services
from shop.orders.models import Cart, Order
from tests.factories import UserFactory, VariantFactory
from tests.payments.support import details

pytestmark = pytest.mark.django_db


def place_for(user, variant):
    import uuid

    cart, _ = Cart.objects.get_or_create(user=user)
    order_services.cart_add(cart=cart, variant_id=variant.pk, quantity=1)
    return services.checkout_place_order(cart=cart, checkout_token=uuid.uuid4(), details=details(), user=user)


def test_a_card_used_once_is_offered_and_charged_next_time(stripe_settings, shipping_methods):
    user = UserFactory(email="repeat@example.jp")
    variant = VariantFactory(price=3000, stock=10)

    first = place_for(user, variant)
    checkout = services.card_payment_prepare(order=first, user=user)
    assert checkout.saved_cards == []
    assert services.card_payment_confirm(order=first, payment_method="pm_card_visa").status == "succeeded"
    customer = StripeCustomer.objects.get(user=user).customer_id

    second = place_for(user, variant)
    checkout = services.card_payment_prepare(order=second, user=user)
    assert checkout.payment.stripe_customer == customer
    assert [card.last4 for card in checkout.saved_cards] == ["4242"]
    saved = checkout.saved_cards[0].id
    assert services.card_payment_confirm(order=second, payment_method=saved).status == "succeeded"
    second.refresh_from_db()
    assert second.status == Order.Status.PAID
    assert Payment.objects.get(order=second, status=Payment.Status.SUCCEEDED).card_last4 == "4242"


def test_a_card_of_another_customer_is_refused(stripe_settings, shipping_methods):
    owner, thief = UserFactory(email="owner@example.jp"), UserFactory(email="thief@example.jp")
    variant = VariantFactory(price=3000, stock=10)
    paid = place_for(owner, variant)
    services.card_payment_prepare(order=paid, user=owner)
    services.card_payment_confirm(order=paid, payment_method="pm_card_visa")
    owners_card = services.card_payment_prepare(order=place_for(owner, variant), user=owner).saved_cards[0].id

    order = place_for(thief, variant)
    services.card_payment_prepare(order=order, user=thief)
    result = services.card_payment_confirm(order=order, payment_method=owners_card)
    assert result.status == "failed"
    order.refresh_from_db()
    assert order.paid_at is None


def test_signed_in_checkout_remembers_and_prefills_the_address(client, shipping_methods):
    user = UserFactory(email="addr@example.jp")
    legal_accept_current(user=user)  # otherwise the privacy middleware asks to accept the current policy first
    client.force_login(user)
    variant = VariantFactory(price=2000, stock=5)
    client.post("/cart/add/", {"variant": variant.pk, "quantity": 1})
    form = {
        "email": "addr@example.jp",
        "name": "佐藤 太郎",
        "postal_code": "５３０ー０００１",
        "prefecture": "大阪府",
        "city": "大阪市北区",
        "street": "梅田1-1-1",
        "building": "",
        "phone": "０６－１２３４－５６７８",
        "shipping_method": shipping_methods[0].pk,
        "payment_method": "bank_transfer",
        "save_address": "on",
    }
    assert client.post("/checkout/", form).status_code == 302
    token = client.get("/checkout/review/").context["token"]
    client.post("/checkout/review/", {"token": token})
    address = Address.objects.get(user=user)
    assert (address.postal_code, address.phone, address.is_default) == ("530-0001", "0612345678", True)

    client.post("/cart/add/", {"variant": variant.pk, "quantity": 1})
    page = client.get("/checkout/")
    assert page.context["form"].initial["city"] == "大阪市北区"
    assert 'value="530-0001"' in page.content.decode()


def test_cancelling_an_order_closes_its_open_payments(
    stripe_settings, shipping_methods, django_capture_on_commit_callbacks
):
    variant = VariantFactory(price=3000, stock=10)
    user = UserFactory(email="cancel@example.jp")
    order = place_for(user, variant)
    from tests.payments.support import raw_card_payment_method

    services.card_payment_prepare(order=order, user=user)
    method = raw_card_payment_method(stripe_settings.STRIPE_API_BASE)  # 3-D Secure: left waiting
    assert services.card_payment_confirm(order=order, payment_method=method).status == "requires_action"
    with django_capture_on_commit_callbacks(execute=True):
        order_services.order_cancel(order_id=order.pk, reason="test")
    attempt = Payment.objects.get(order=order)
    assert attempt.status == Payment.Status.CANCELLED
    from payments import gateway

    assert gateway.payment_intent_get(payment_intent=attempt.stripe_payment_intent).status == "canceled"


def test_switching_to_bank_transfer_sends_the_bank_details(
    stripe_settings, shipping_methods, mailoutbox, django_capture_on_commit_callbacks
):
    variant = VariantFactory(price=3000, stock=10)
    user = UserFactory(email="switch@example.jp")
    order = place_for(user, variant)
    services.card_payment_prepare(order=order, user=user)
    services.card_payment_confirm(order=order, payment_method="pm_card_chargeCustomerFail")
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_method_switch(order_id=order.pk, method=Order.PaymentMethod.BANK_TRANSFER)
    assert len(mailoutbox) == 1
    assert "1234567" in mailoutbox[0].body  # the account number from the payment settings
    assert "?k=" in mailoutbox[0].body  # the signed link a guest can open anywhere


def test_the_signed_order_link_opens_the_order_on_another_device(client, shipping_methods):
    from shop.orders.links import order_access_key
    from tests.payments.support import place_order

    order = place_order(VariantFactory(price=3000, stock=10), payment_method=Order.PaymentMethod.BANK_TRANSFER)
    assert client.get(f"/orders/{order.number}/").status_code == 404
    assert client.get(f"/orders/{order.number}/?k=forged").status_code == 404
    assert client.get(f"/orders/{order.number}/?k={order_access_key('other')}").status_code == 404
    response = client.get(f"/orders/{order.number}/?k={order_access_key(order.number)}")
    assert response.status_code == 200 and order.number in response.content.decode()
    assert client.get(f"/checkout/thanks/{order.number}/").status_code == 200
