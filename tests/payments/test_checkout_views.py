"""The checkout pages through the Django test client: cart, details, review, placing, thanks, and the card page;
tampered posts, bad addresses and other visitors."""

import json
import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from payments import services
from payments.models import Payment
from shop.catalog.models import Variant
from shop.orders.models import CartLine, Order, ShippingMethod
from tests.factories import ProductFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db

CART_ADD = "/cart/add/"
CHECKOUT = "/checkout/"
REVIEW = "/checkout/review/"


def _thanks_url(number: str) -> str:
    return f"/checkout/thanks/{number}/"


def _address(**overrides) -> dict:
    data = {
        "email": "taro@example.jp",
        "name": "鈴木 太郎",
        "postal_code": "〒５３０－０００１",  # full-width, as Japanese keyboards type it
        "prefecture": "大阪府",
        "city": "大阪市北区",
        "street": "梅田1-1-1",
        "building": "",
        "phone": "06-1234-5678",
        "shipping_method": ShippingMethod.objects.get(code="standard").pk,
        "payment_method": Order.PaymentMethod.BANK_TRANSFER,
    }
    data.update(overrides)
    return data


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def variant():
    return VariantFactory(price=1980, stock=5)


@pytest.fixture
def shopper(client, variant):
    response = client.post(CART_ADD, {"variant": variant.pk, "quantity": 2})
    assert response.status_code == 302
    assert CartLine.objects.get().quantity == 2
    return client


def _to_review(client, **overrides):
    response = client.post(CHECKOUT, _address(**overrides))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == REVIEW
    return client.session["checkout_token"]


def test_bank_transfer_checkout_from_cart_to_thanks(shopper, variant):
    page = shopper.get(CHECKOUT)
    assert page.status_code == 200
    assert 'name="postal_code"' in page.content.decode()
    token = _to_review(shopper)

    review = shopper.get(REVIEW)
    assert review.status_code == 200
    body = review.content.decode()
    assert "4,560" in body  # 2 × 1,980 + 600 shipping
    assert token in body
    assert "530-0001" in body

    response = shopper.post(REVIEW, {"token": token})

    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _thanks_url(order.number)
    assert order.payment_method == Order.PaymentMethod.BANK_TRANSFER
    assert order.status == Order.Status.PENDING_PAYMENT
    assert (order.subtotal, order.shipping_fee, order.payment_fee, order.total) == (3960, 600, 0, 4560)
    assert order.ship_postal_code == "530-0001"
    assert order.ship_phone == "0612345678"
    assert order.payment_due is not None
    assert Payment.objects.get(order=order).amount == 4560
    assert Variant.objects.get(pk=variant.pk).stock == 3
    assert not CartLine.objects.exists()

    thanks = shopper.get(response["Location"])
    assert thanks.status_code == 200
    text = thanks.content.decode()
    assert order.number in text
    assert "4,560" in text
    for detail in ("つなぐ銀行", "本店営業部（001）", "1234567", "カ）ツナグショップ"):
        assert detail in text


def test_prices_in_the_post_are_ignored(shopper, variant):
    tampered = {"total": 1, "price": 1, "amount": 1, "subtotal": 1, "shipping_fee": 0, "unit_price": 1}
    token = _to_review(shopper, **tampered)
    response = shopper.post(REVIEW, {"token": token, **tampered})

    assert response.status_code == 302
    order = Order.objects.get()
    assert order.total == 2 * 1980 + 600
    assert order.subtotal == 3960 and order.shipping_fee == 600 and order.discount == 0
    assert order.lines.get().unit_price == 1980
    assert Payment.objects.get(order=order).amount == order.total


def test_cash_on_delivery_adds_its_fee(shopper):
    token = _to_review(
        shopper, payment_method=Order.PaymentMethod.COD, shipping_method=ShippingMethod.objects.get(code="express").pk
    )
    response = shopper.post(REVIEW, {"token": token})
    order = Order.objects.get()
    assert response["Location"] == _thanks_url(order.number)
    assert (order.subtotal, order.shipping_fee, order.payment_fee, order.total) == (3960, 1100, 330, 5390)
    assert order.status == Order.Status.PROCESSING


def test_free_shipping_from_5000_yen(client):
    variant = VariantFactory(price=2500, stock=5)
    client.post(CART_ADD, {"variant": variant.pk, "quantity": 2})
    token = _to_review(client)
    client.post(REVIEW, {"token": token})
    order = Order.objects.get()
    assert (order.subtotal, order.shipping_fee, order.total) == (5000, 0, 5000)


@pytest.mark.parametrize(
    "posted",
    [
        {"variant": 999_999, "quantity": 1},  # no such variant
        {"variant": "abc", "quantity": 1},
        {"variant": "", "quantity": 1},
        {"quantity": 1},
        {"variant": "OTHER_PRODUCT", "quantity": 1},  # a variant of a product that is not for sale
        {"variant": "INACTIVE", "quantity": 1},
        {"variant": "SOLD_OUT", "quantity": 1},
        {"variant": "OK", "quantity": -1},
        {"variant": "OK", "quantity": 0},
        {"variant": "OK", "quantity": 6},  # more than the stock
        {"variant": "OK", "quantity": 100},
        {"variant": "OK", "quantity": 10**30},
        {"variant": "OK", "quantity": "1e3"},
        {"variant": "OK", "quantity": "2.5"},
        {"variant": "OK", "quantity": ""},
    ],
)
def test_cart_add_refuses_bad_items_and_quantities(client, posted):
    ok = VariantFactory(stock=5)
    hidden = VariantFactory(stock=5, product=ProductFactory(is_active=False))
    inactive = VariantFactory(stock=5, is_active=False)
    sold_out = VariantFactory(stock=0)
    ids = {"OK": ok.pk, "OTHER_PRODUCT": hidden.pk, "INACTIVE": inactive.pk, "SOLD_OUT": sold_out.pk}
    data = {**posted}
    if data.get("variant") in ids:
        data["variant"] = ids[data["variant"]]

    response = client.post(CART_ADD, data)

    assert response.status_code == 302
    messages = _messages(response)
    assert len(messages) == 1 and messages[0]
    assert not CartLine.objects.exists()
    assert Variant.objects.get(pk=ok.pk).stock == 5
    assert client.get(CHECKOUT)["Location"].endswith("/cart/")  # nothing to check out


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"postal_code": "12-34"}, "postal_code"),
        ({"postal_code": ""}, "postal_code"),
        ({"phone": "123"}, "phone"),
        ({"phone": "090-1234-56789-0"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"name": "   "}, "name"),
        ({"prefecture": "ニューヨーク"}, "prefecture"),
        ({"city": ""}, "city"),
        ({"street": ""}, "street"),
        ({"shipping_method": 999_999}, "shipping_method"),
        ({"payment_method": "free"}, "payment_method"),
        ({"payment_method": ""}, "payment_method"),
    ],
)
def test_bad_address_shows_errors_and_creates_nothing(shopper, variant, overrides, field):
    response = shopper.post(CHECKOUT, _address(**overrides))

    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert all(message.strip() for message in form.errors[field])
    assert 'class="field-error"' in response.content.decode()
    assert "checkout_draft" not in shopper.session
    assert "checkout_token" not in shopper.session
    assert shopper.get(REVIEW)["Location"] == CHECKOUT
    assert Order.objects.count() == 0
    assert Variant.objects.get(pk=variant.pk).stock == 5


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"postal_code": "12-34"}, "Enter a 7-digit postal code, e.g. 150-0001."),
        ({"phone": "123"}, "Enter a phone number of 10 or 11 digits, e.g. 090-1234-5678."),
    ],
)
def test_address_errors_are_explained_in_japanese(shopper, overrides, message):
    with translation.override("ja"):
        expected = gettext(message)
    response = shopper.post(CHECKOUT, _address(**overrides), HTTP_ACCEPT_LANGUAGE="ja")
    assert expected in response.content.decode()


def test_missing_fields_all_reported(shopper, variant):
    response = shopper.post(CHECKOUT, {})
    assert response.status_code == 200
    errors = response.context["form"].errors
    for field in (
        "email",
        "name",
        "postal_code",
        "prefecture",
        "city",
        "street",
        "phone",
        "shipping_method",
        "payment_method",
    ):
        assert field in errors, field
    assert "building" not in errors
    assert Order.objects.count() == 0
    assert Variant.objects.get(pk=variant.pk).stock == 5


def test_review_posted_twice_places_one_order(shopper, variant):
    token = _to_review(shopper)
    first = shopper.post(REVIEW, {"token": token})
    second = shopper.post(REVIEW, {"token": token})

    order = Order.objects.get()
    assert first["Location"] == second["Location"] == _thanks_url(order.number)
    assert Variant.objects.get(pk=variant.pk).stock == 3
    assert Payment.objects.filter(order=order).count() == 1


def test_review_without_a_valid_token_places_nothing(shopper, variant):
    _to_review(shopper)
    for token in ("", "not-a-uuid", "'; DROP TABLE orders_order; --"):
        response = shopper.post(REVIEW, {"token": token})
        assert response.status_code == 302 and response["Location"] == CHECKOUT
    assert Order.objects.count() == 0
    assert Variant.objects.get(pk=variant.pk).stock == 5


def test_other_visitors_cannot_see_or_reuse_an_order(shopper, variant):
    token = _to_review(shopper)
    placed = shopper.post(REVIEW, {"token": token})
    order = Order.objects.get()

    stranger = Client()
    assert stranger.get(placed["Location"]).status_code == 404
    assert stranger.get(f"/checkout/pay/{order.number}/").status_code == 404
    assert stranger.post(f"/checkout/pay/{order.number}/card/", {"payment_method": "pm_card_visa"}).status_code == 404
    # Replaying someone else's token shows nothing of their order.
    stranger.post(CART_ADD, {"variant": variant.pk, "quantity": 1})
    response = stranger.post(REVIEW, {"token": token})
    assert response.status_code == 404
    assert Order.objects.count() == 1
    assert stranger.get(_thanks_url("000000-XXXXXX")).status_code == 404


def test_card_checkout_pays_on_the_pay_page(shopper, stripe_settings, localstripe_server):
    token = _to_review(shopper, payment_method=Order.PaymentMethod.CARD)
    response = shopper.post(REVIEW, {"token": token})
    order = Order.objects.get()
    pay_url = f"/checkout/pay/{order.number}/"
    assert response["Location"] == pay_url

    page = shopper.get(pay_url)
    assert page.status_code == 200
    body = page.content.decode()
    assert f"{localstripe_server.url}/js.stripe.com/v3/" in body
    assert "pk_test_shop" in body
    assert re.search(r'data-setup-secret="seti_\w+"', body)

    answer = shopper.post(f"{pay_url}card/", {"payment_method": "pm_card_visa", "amount": 1})
    data = json.loads(answer.content)
    assert data["status"] == "succeeded", data
    assert data["redirect"] == _thanks_url(order.number)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Payment.objects.get(order=order).amount == 4560

    # Paid: the pay page sends the shopper to the thanks page, which says the payment was received.
    assert shopper.get(pay_url)["Location"] == _thanks_url(order.number)
    assert order.number in shopper.get(_thanks_url(order.number)).content.decode()


def test_declined_card_on_the_pay_page_then_bank_transfer(shopper, stripe_settings):
    token = _to_review(shopper, payment_method=Order.PaymentMethod.CARD)
    shopper.post(REVIEW, {"token": token})
    order = Order.objects.get()
    pay_url = f"/checkout/pay/{order.number}/"
    shopper.get(pay_url)

    data = json.loads(shopper.post(f"{pay_url}card/", {"payment_method": "pm_card_chargeCustomerFail"}).content)
    assert data["status"] == "failed"
    assert data["message"]
    assert "redirect" not in data

    switched = shopper.post(f"{pay_url}method/", {"payment_method": Order.PaymentMethod.BANK_TRANSFER})
    assert switched["Location"] == _thanks_url(order.number)
    order.refresh_from_db()
    assert order.payment_method == Order.PaymentMethod.BANK_TRANSFER
    assert order.status == Order.Status.PENDING_PAYMENT
    statuses = sorted(Payment.objects.filter(order=order).values_list("method", "status"))
    assert statuses == [
        (Order.PaymentMethod.BANK_TRANSFER, Payment.Status.PENDING),
        (Order.PaymentMethod.CARD, Payment.Status.FAILED),
    ]
    assert "1234567" in shopper.get(_thanks_url(order.number)).content.decode()


def test_card_not_offered_when_stripe_is_not_configured(shopper, settings):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_PUBLISHABLE_KEY = ""
    response = shopper.post(CHECKOUT, _address(payment_method=Order.PaymentMethod.CARD))
    assert response.status_code == 200
    assert "payment_method" in response.context["form"].errors
    assert Order.objects.count() == 0


@pytest.mark.parametrize("method", [Order.PaymentMethod.CARD, Order.PaymentMethod.BANK_TRANSFER])
def test_order_timeline_is_in_japanese_after_payment(shopper, stripe_settings, method):
    """Every public timeline entry is shown with {% translate event.message %}: its text must be in the catalogue."""
    token = _to_review(shopper, payment_method=method)
    shopper.post(REVIEW, {"token": token})
    order = Order.objects.get()
    if method == Order.PaymentMethod.CARD:
        shopper.get(f"/checkout/pay/{order.number}/")
        shopper.post(f"/checkout/pay/{order.number}/card/", {"payment_method": "pm_card_visa"})
    else:
        services.manual_payment_mark_paid(order_id=order.pk, actor=UserFactory(is_staff=True))
    order.refresh_from_db()
    assert order.paid_at is not None

    page = shopper.get(f"/orders/{order.number}/", HTTP_ACCEPT_LANGUAGE="ja")
    assert page.status_code == 200
    body = page.content.decode()
    with translation.override("ja"):
        for message in order.events.filter(is_public=True).values_list("message", flat=True):
            assert gettext(message) != message, f"timeline entry {message!r} has no Japanese text"
            assert gettext(message) in body
