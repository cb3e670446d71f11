"""Coupons and points at checkout: the review page applies them, placing the order holds the coupon and takes the
points in the same transaction, the card is charged the reduced total, and a cancellation gives both back."""

import datetime
import uuid

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone, translation

from loyalty.models import Coupon, CouponRedemption, LoyaltySettings, PointEntry, Rank
from loyalty.selectors.points import points_balance
from loyalty.services.points import points_award, points_return_for_order
from payments import services
from payments.models import Payment
from shop.accounts.privacy_services import legal_accept_current
from shop.orders import services as order_services
from shop.orders.exceptions import CheckoutError
from shop.orders.models import Cart, CartLine, Order, ShippingMethod
from tests.factories import UserFactory, VariantFactory
from tests.payments.support import details, intents_of_customer

pytestmark = pytest.mark.django_db

REVIEW = "/checkout/review/"
DISCOUNTS = "/checkout/review/discounts/"


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def member(shipping_methods):
    user = UserFactory(email="points@example.jp")
    legal_accept_current(user=user)
    points_award(
        user=user,
        amount=1000,
        kind=PointEntry.Kind.ADJUSTMENT,
        source_key="test:welcome-points",
        available_at=timezone.now() - datetime.timedelta(days=1),
        note="test",
    )
    return user


@pytest.fixture
def coupon():
    return Coupon.objects.create(
        code="SPRING500", name="春のクーポン", kind=Coupon.Kind.FIXED, value=500, min_subtotal=3000, max_uses=10
    )


@pytest.fixture
def variant():
    return VariantFactory(price=4000, stock=5)


def _member_cart(user, variant, quantity=1) -> Cart:
    cart, _ = Cart.objects.get_or_create(user=user)
    order_services.cart_add(cart=cart, variant_id=variant.pk, quantity=quantity)
    return cart


def _place(user, cart, *, payment_method=Order.PaymentMethod.BANK_TRANSFER, **kwargs) -> Order:
    return services.checkout_place_order(
        cart=cart,
        checkout_token=uuid.uuid4(),
        details=details(email=user.email, payment_method=payment_method),
        user=user,
        **kwargs,
    )


def test_coupon_and_points_lower_the_total_and_are_recorded(member, coupon, variant):
    order = _place(member, _member_cart(member, variant), coupon_code="spring500", points=300)

    # 4,000 items + 600 shipping (under ¥5,000) − 500 coupon − 300 points.
    assert (order.subtotal, order.shipping_fee, order.discount, order.total) == (4000, 600, 800, 3800)
    assert (order.coupon_code, order.points_used) == ("SPRING500", 300)
    redemption = CouponRedemption.objects.get(order=order)
    assert (redemption.status, redemption.amount) == (CouponRedemption.Status.HELD, 500)
    assert points_balance(user=member).available == 700
    assert PointEntry.objects.get(order=order, kind=PointEntry.Kind.REDEMPTION).amount == -300


def test_the_card_is_charged_the_reduced_total(member, coupon, variant, stripe_settings, localstripe_server):
    order = _place(
        member,
        _member_cart(member, variant),
        payment_method=Order.PaymentMethod.CARD,
        coupon_code="SPRING500",
        points=300,
    )
    checkout = services.card_payment_prepare(order=order, user=member)
    result = services.card_payment_confirm(order=order, payment_method="pm_card_visa")

    assert result.status == "succeeded"
    intents = intents_of_customer(localstripe_server.url, checkout.payment.stripe_customer)
    assert [intent["amount"] for intent in intents] == [3800]
    assert Payment.objects.get(order=order, status=Payment.Status.SUCCEEDED).amount == 3800


def test_paying_uses_the_coupon_and_cancelling_gives_everything_back(
    member, coupon, variant, django_capture_on_commit_callbacks
):
    paid = _place(member, _member_cart(member, variant), coupon_code="SPRING500", points=200)
    with django_capture_on_commit_callbacks(execute=True):
        order_services.order_mark_paid(order_id=paid.pk)
    assert CouponRedemption.objects.get(order=paid).status == CouponRedemption.Status.USED

    cancelled = _place(member, _member_cart(member, variant), points=300)
    assert points_balance(user=member).available == 500
    with django_capture_on_commit_callbacks(execute=True):
        order_services.order_cancel(order_id=cancelled.pk)
    assert points_balance(user=member).available == 800
    # Cancelling twice (a retried task) gives nothing more.
    points_return_for_order(order_id=cancelled.pk)
    assert points_balance(user=member).available == 800


def test_a_cancelled_order_releases_its_single_use_coupon(member, variant, django_capture_on_commit_callbacks):
    Coupon.objects.create(code="ONCE", name="1回限り", kind=Coupon.Kind.PERCENT, value=10, max_uses=1)
    first = _place(member, _member_cart(member, variant), coupon_code="ONCE")
    assert first.discount == 400
    other = UserFactory(email="other@example.jp")
    with pytest.raises(CheckoutError):
        _place(other, _member_cart(other, variant), coupon_code="ONCE")
    with django_capture_on_commit_callbacks(execute=True):
        order_services.order_cancel(order_id=first.pk)
    assert CouponRedemption.objects.get(order=first).status == CouponRedemption.Status.RELEASED
    # The refused checkout kept the other member's cart as it was.
    assert _place(other, Cart.objects.get(user=other), coupon_code="ONCE").discount == 400


def test_a_refused_coupon_places_nothing_and_keeps_the_cart(member, variant):
    Coupon.objects.create(code="OLD", name="期限切れ", kind=Coupon.Kind.FIXED, value=300,
                          valid_until=timezone.now() - datetime.timedelta(days=1))  # fmt: skip
    cart = _member_cart(member, variant)
    with pytest.raises(CheckoutError):
        _place(member, cart, coupon_code="OLD", points=300)
    assert not Order.objects.exists()
    assert CartLine.objects.filter(cart=cart).count() == 1
    assert points_balance(user=member).available == 1000


def test_points_paying_everything_marks_the_order_paid(member, shipping_methods):
    cheap = VariantFactory(price=600, stock=3)
    method = ShippingMethod.objects.get(code="standard")
    free = Coupon.objects.create(code="SHIPFREE", name="送料無料", kind=Coupon.Kind.FREE_SHIPPING)
    order = _place(member, _member_cart(member, cheap), coupon_code=free.code, points=600)

    assert method.fee > 0 and order.shipping_fee == 0
    assert (order.total, order.points_used) == (0, 600)
    assert order.paid_at is not None and order.status == Order.Status.PAID
    assert not order.payments.exists()


def test_a_rank_with_free_shipping_ships_free(member, variant):
    gold = Rank.objects.filter(free_shipping=True).order_by("min_spend").first() or Rank.objects.create(
        code="gold-test", name="ゴールド", min_spend=0, free_shipping=True
    )
    account = member.point_account
    account.rank, account.rank_updated_at = gold, timezone.now()
    account.save()
    order = _place(member, _member_cart(member, variant))
    assert order.shipping_fee == 0 and order.total == 4000


def test_points_below_the_minimum_or_above_the_balance_are_refused(member, variant):
    LoyaltySettings.objects.filter(pk=LoyaltySettings.load().pk).update(redeem_min=100)
    cart = _member_cart(member, variant)
    for points in (50, 1001):
        with pytest.raises(CheckoutError):
            _place(member, cart, points=points)
    assert not Order.objects.exists()


# --- The review page -----------------------------------------------------------------------------------------------


@pytest.fixture
def member_at_review(client, member, variant):
    client.force_login(member)
    client.post("/cart/add/", {"variant": variant.pk, "quantity": 1})
    response = client.post(
        "/checkout/",
        {
            "email": member.email,
            "name": "山田 花子",
            "postal_code": "150-0001",
            "prefecture": "東京都",
            "city": "渋谷区",
            "street": "神宮前1-2-3",
            "phone": "09012345678",
            "shipping_method": ShippingMethod.objects.get(code="standard").pk,
            "payment_method": Order.PaymentMethod.BANK_TRANSFER,
        },
    )
    assert response.status_code == 302 and response["Location"] == REVIEW
    return client


def test_review_page_applies_a_coupon_and_points(member_at_review, coupon):
    response = member_at_review.post(DISCOUNTS, {"coupon_code": "ｓｐｒｉｎｇ５００", "points": "250"})
    assert response.status_code == 302
    page = member_at_review.get(REVIEW)
    html = page.content.decode()
    assert "SPRING500" in html and "−¥500" in html and "−¥250" in html
    assert "¥3,850" in html  # 4,000 + 600 − 500 − 250

    token = page.context["token"]
    placed = member_at_review.post(REVIEW, {"token": token})
    order = Order.objects.get()
    assert placed.status_code == 302 and order.total == 3850 and order.points_used == 250


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"coupon_code": "NOSUCH"}, "NOSUCH"),
        ({"points": "abc"}, "整数"),
        ({"points": "-5"}, "0以上"),
        ({"points": "5000"}, "1,000"),
    ],
)
def test_bad_coupon_or_points_give_a_message_and_change_nothing(member_at_review, coupon, data, expected):
    member_at_review.post(DISCOUNTS, {"coupon_code": "SPRING500"})
    before = dict(member_at_review.session["checkout_draft"])
    with translation.override("ja"):
        response = member_at_review.post(DISCOUNTS, data)
    assert response.status_code == 302
    messages = _messages(response)
    assert messages and any(expected in message for message in messages), messages
    assert member_at_review.session["checkout_draft"] == before


def test_guests_cannot_use_points(client, variant, shipping_methods):
    client.post("/cart/add/", {"variant": variant.pk, "quantity": 1})
    client.post(
        "/checkout/",
        {
            "email": "guest@example.jp",
            "name": "山田 花子",
            "postal_code": "150-0001",
            "prefecture": "東京都",
            "city": "渋谷区",
            "street": "神宮前1-2-3",
            "phone": "09012345678",
            "shipping_method": ShippingMethod.objects.get(code="standard").pk,
            "payment_method": Order.PaymentMethod.BANK_TRANSFER,
        },
    )
    response = client.post(DISCOUNTS, {"points": "100"})
    assert response.status_code == 302
    assert "points" not in client.session["checkout_draft"]
