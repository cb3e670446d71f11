"""Coupons limited to some items ("only these items"), and filling them with items bought together (F28)."""

import uuid

import pytest
from django.utils import translation

from loyalty.exceptions import CouponError
from loyalty.models import Campaign, Coupon, CouponRedemption, Segment
from loyalty.services.coupons import coupon_hold_for_order, coupon_issue_personal, coupon_quote
from payments.pricing import checkout_pricing
from shop.orders.models import ShippingMethod
from social.recommend import services
from social.recommend.selectors import segment_related_products

from .conftest import paid_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def lines_of(*products):
    return [(product.pk, product.category_id, product.price) for product in products]


def test_a_limited_percent_coupon_discounts_only_the_matching_items(shop):
    coupon = Coupon.objects.create(code="KNITA10", name="A 10%", kind=Coupon.Kind.PERCENT, value=10)
    coupon.products.add(shop.A)
    quote = coupon_quote(
        code="knita10", user=None, items_total=6000, shipping_fee=0, lines=lines_of(shop.A, shop.C, shop.E)
    )
    assert quote.discount == 200  # 10% of A's ¥2,000 only, not of ¥6,000


def test_a_category_limit_includes_its_sub_categories_and_a_fixed_amount_is_capped_by_them(shop):
    coupon = Coupon.objects.create(code="TOPS3000", name="tops", kind=Coupon.Kind.FIXED, value=3000)
    coupon.categories.add(shop.shirt)
    quote = coupon_quote(
        code="TOPS3000", user=None, items_total=6000, shipping_fee=0, lines=lines_of(shop.A, shop.C, shop.E)
    )
    assert quote.discount == 3000  # C + E are shirts: ¥4,000 eligible
    coupon.categories.set([shop.tops])
    quote = coupon_quote(code="TOPS3000", user=None, items_total=2000, shipping_fee=0, lines=lines_of(shop.C))
    assert quote.discount == 2000


def test_no_matching_item_is_refused_with_the_reason(shop):
    coupon = Coupon.objects.create(code="ONLYA", name="A", kind=Coupon.Kind.FIXED, value=500)
    coupon.products.add(shop.A)
    with pytest.raises(CouponError, match="only for certain items"):
        coupon_quote(code="ONLYA", user=None, items_total=2000, shipping_fee=0, lines=lines_of(shop.C))
    with pytest.raises(CouponError, match="only for certain items"):
        coupon_quote(code="ONLYA", user=None, items_total=2000, shipping_fee=0)  # no lines: never the whole order


def test_unlimited_coupons_work_as_before_without_lines(shop):
    Coupon.objects.create(code="ALL500", name="all", kind=Coupon.Kind.FIXED, value=500)
    assert coupon_quote(code="ALL500", user=None, items_total=2000, shipping_fee=0).discount == 500


def test_holding_on_an_order_and_checkout_pricing_use_the_matching_lines(shop):
    coupon = Coupon.objects.create(code="A20", name="A 20%", kind=Coupon.Kind.PERCENT, value=20, max_uses_per_user=None)
    coupon.products.add(shop.A)
    order = paid_order(None, [shop.A, shop.C], hours_ago=0, status="pending_payment")
    held = coupon_hold_for_order(code="A20", order=order, user=None)
    assert held.amount == 400 and held.status == CouponRedemption.Status.HELD
    method = ShippingMethod.objects.create(name="通常配送", fee=600, days_min=2, days_max=4)
    pricing = checkout_pricing(
        subtotal=4000,
        method=method,
        prefecture="東京都",
        payment_method="bank_transfer",
        coupon_code="A20",
        lines=lines_of(shop.A, shop.C),
    )
    assert pricing.coupon_discount == 400 and not pricing.coupon_error


def test_personal_copies_keep_the_limit(shop):
    template = Coupon.objects.create(code="THANKS", name="thanks", kind=Coupon.Kind.FIXED, value=300, is_active=False)
    template.products.add(shop.C)
    copy = coupon_issue_personal(template=template, user=shop.member, issue_key=f"test:{uuid.uuid4().hex[:6]}")
    assert list(copy.products.all()) == [shop.C]


def test_related_items_for_buyers_of_a_product_fill_the_coupon_in_admin(shop, admin_client_verified):
    services.recommendations_rebuild()
    assert segment_related_products(shop.A.pk) == [shop.C.pk, shop.B.pk, shop.D.pk]
    coupon = Coupon.objects.create(code="AFTERA", name="after A", kind=Coupon.Kind.PERCENT, value=15)
    segment = Segment.objects.create(name="bought A", bought_product=shop.A)
    Campaign.objects.create(
        name="A buyers", segment=segment, subject="ありがとう", text="関連商品が15%オフ", coupon=coupon
    )
    response = admin_client_verified.post(
        "/admin/loyalty/coupon/", {"action": "fill_related_items", "_selected_action": [coupon.pk]}
    )
    assert response.status_code == 302
    assert set(coupon.products.values_list("pk", flat=True)) == {shop.C.pk, shop.B.pk, shop.D.pk}
