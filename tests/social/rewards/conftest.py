"""Share-reward fixtures: orders placed and paid through the real checkout and payment services, attributed to a
sharer's link through the shares services, as the middleware and the payment signals do it."""

import datetime
import uuid

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from payments import services as payments
from shop.accounts.privacy_services import legal_accept_current
from shop.orders import services as order_services
from shop.orders.models import Cart, Order
from social.rewards.models import ShareCampaign, SharePurchase, ShareReward, ShareTier
from social.shares import services as share_services
from social.shares.models import ShareLink
from tests.factories import UserFactory, VariantFactory
from tests.payments.support import details

HONEST_ADDRESS = {
    "name": "佐藤 美咲",
    "postal_code": "530-0001",
    "prefecture": "大阪府",
    "city": "大阪市北区",
    "street": "梅田1-1-1",
    "building": "",
    "phone": "0612345678",
}
SHARER_ADDRESS = {
    "name": "山田 花子",
    "postal_code": "150-0001",
    "prefecture": "東京都",
    "city": "渋谷区",
    "street": "神宮前1-2-3",
    "building": "つなぐビル 401",
    "phone": "09012345678",
}


def make_member(email: str, **kwargs):
    user = UserFactory(email=email, **kwargs)
    legal_accept_current(user=user)
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def place(variant, *, email: str, user=None, payment_method: str = Order.PaymentMethod.BANK_TRANSFER, **address):
    """An order placed the way the review page places it (guest unless user is given)."""
    cart = Cart.objects.get_or_create(user=user)[0] if user is not None else Cart.objects.create()
    order_services.cart_add(cart=cart, variant_id=variant.pk, quantity=1)
    values = {**HONEST_ADDRESS, **address}
    return payments.checkout_place_order(
        cart=cart,
        checkout_token=uuid.uuid4(),
        details=details(payment_method=payment_method, email=email, **values),
        user=user,
    )


@pytest.fixture
def staff(db):
    return make_member("staff@example.jp", is_staff=True)


@pytest.fixture
def variant(shipping_methods):
    return VariantFactory(price=1980, stock=100)


@pytest.fixture
def sharer(db):
    return make_member("sharer@example.jp", display_name="シェアする人")


@pytest.fixture
def link(sharer, variant):
    return share_services.share_links_ensure(sharer=sharer, product_id=variant.product_id)[ShareLink.Channel.LINE]


@pytest.fixture
def campaign(variant):
    now = timezone.now()
    campaign = ShareCampaign.objects.create(
        name="春のシェアキャンペーン",
        description="友だちにシェアしてポイントをもらおう。",
        starts_at=now - datetime.timedelta(days=1),
        ends_at=now + datetime.timedelta(days=30),
    )
    ShareTier.objects.create(campaign=campaign, buyers=1, points=100)
    return campaign


@pytest.fixture
def buy(link, variant, staff, django_capture_on_commit_callbacks):
    """buy(email=..., user=None, visitor_key="", buyer_ip=None, **address) -> the paid order, attributed to the
    sharer's link (the share cookie's click an hour ago); paying sends order_paid, whose receivers run the tasks."""

    def _buy(*, email: str, user=None, visitor_key: str = "", buyer_ip: str | None = None, pay: bool = True, **address):
        order = place(variant, email=email, user=user, **address)
        share_services.attribution_record_pending(
            order_numbers=[order.number],
            link_id=link.pk,
            clicked_at=timezone.now() - datetime.timedelta(hours=1),
            visitor_key=visitor_key,
            buyer_ip=buyer_ip,
        )
        if pay:
            with django_capture_on_commit_callbacks(execute=True):
                assert payments.manual_payment_mark_paid(order_id=order.pk, actor=staff)
            order.refresh_from_db()
        return order

    return _buy


@pytest.fixture
def refund(staff, django_capture_on_commit_callbacks):
    def _refund(order, amount: int | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            payments.refund_order(order_id=order.pk, amount=amount or order.total, actor=staff)
        order.refresh_from_db()

    return _refund


def state(campaign) -> dict:
    """Everything the tally writes, to compare before and after a run."""
    from loyalty.models import Coupon, PointEntry

    return {
        "purchases": sorted(
            SharePurchase.objects.filter(campaign=campaign).values_list("pk", "status", "buyer_key", "reasons")
        ),
        "rewards": sorted(
            ShareReward.objects.filter(campaign=campaign).values_list(
                "pk", "status", "points", "confirm_after", "coupon_id", "decided_at"
            )
        ),
        "points": sorted(PointEntry.objects.values_list("pk", "user_id", "amount", "kind", "source_key")),
        "coupons": sorted(Coupon.objects.exclude(owner=None).values_list("pk", "owner_id", "issue_key")),
    }
