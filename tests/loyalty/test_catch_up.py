"""Order events whose task was lost (the broker was down) are caught up once, and only once."""

import datetime

import pytest
from django.utils import timezone

from loyalty.models import Coupon, CouponRedemption, PointEntry
from loyalty.selectors.points import points_balance
from loyalty.services.catch_up import loyalty_catch_up
from loyalty.services.points import points_award
from shop.orders.models import Order
from tests.factories import UserFactory

from .conftest import make_order

pytestmark = pytest.mark.django_db


def test_lost_order_events_are_applied_once():
    member = UserFactory()
    now = timezone.now()
    points_award(user=member, amount=500, kind=PointEntry.Kind.ADJUSTMENT, source_key="t:start",
                 available_at=now - datetime.timedelta(days=1))  # fmt: skip
    # Paid, with a coupon still held: the order_paid task never ran.
    paid = make_order(member, subtotal=10_000, paid_at=now)
    coupon = Coupon.objects.create(code="LOST", name="lost", value=100)
    CouponRedemption.objects.create(coupon=coupon, order=paid, user=member, email=member.email, amount=100)
    # Cancelled after 200 points were taken: the order_cancelled task never ran.
    cancelled = make_order(member, subtotal=3_000, paid_at=None, points_used=200, discount=200,
                           status=Order.Status.CANCELLED)  # fmt: skip
    PointEntry.objects.create(user=member, amount=-200, kind=PointEntry.Kind.REDEMPTION,
                              source_key=f"order:{cancelled.pk}:redeem", order=cancelled, available_at=now)  # fmt: skip

    first = loyalty_catch_up(now=now)
    second = loyalty_catch_up(now=now)

    assert (first["earned"], first["coupons_used"], first["points_returned"]) == (1, 1, 1)
    assert (second["earned"], second["coupons_used"], second["points_returned"]) == (0, 0, 0)
    assert PointEntry.objects.filter(order=paid, kind=PointEntry.Kind.ORDER).get().amount == 100
    assert CouponRedemption.objects.get(order=paid).status == CouponRedemption.Status.USED
    assert points_balance(user=member).available == 500  # 500 − 200 + 200 back; the 100 earned are still pending
