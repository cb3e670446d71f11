"""Coupons used from many tabs at once: each thread has its own PostgreSQL connection and its own order, and holds
the coupon inside a transaction as the checkout does. The coupon's row lock must let exactly the allowed number
through."""

import threading

import pytest
from django.db import connection, transaction
from django.utils import translation

from loyalty.exceptions import CouponError
from loyalty.models import Coupon, CouponRedemption, LoyaltySettings
from loyalty.services import coupons as services
from shop.orders import services as order_services
from shop.orders.models import Order
from tests.factories import OrderFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def make_order(**fields) -> Order:
    return OrderFactory(payment_method=Order.PaymentMethod.BANK_TRANSFER, **fields)


def run_at_once(count: int, work):
    """Runs work(i) in `count` threads released together; returns each thread's result or exception."""
    barrier = threading.Barrier(count, timeout=30)
    results: list = [None] * count

    def run(i):
        try:
            with translation.override("en"):
                barrier.wait()
                results[i] = work(i)
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def hold_in_checkout_transaction(code: str, order: Order, user):
    with transaction.atomic():
        return services.coupon_hold_for_order(code=code, order=order, user=user)


def test_single_use_coupon_from_twenty_tabs_is_held_once():
    coupon = Coupon.objects.create(code="ONLYONE", name="先着1名", value=1000, max_uses=1, max_uses_per_user=None)
    orders = [make_order(email=f"tab{i}@example.jp") for i in range(20)]

    results = run_at_once(20, lambda i: hold_in_checkout_transaction("onlyone", orders[i], None))

    held = [r for r in results if isinstance(r, CouponRedemption)]
    errors = [r for r in results if isinstance(r, CouponError)]
    assert not [r for r in results if not isinstance(r, CouponRedemption | CouponError)]
    assert (len(held), len(errors)) == (1, 19)
    assert {str(e) for e in errors} == {"Sorry, this coupon has reached its limit of uses."}
    rows = list(CouponRedemption.objects.filter(coupon=coupon))
    assert [(r.status, r.amount, r.order_id) for r in rows] == [("held", 1000, held[0].order_id)]


def test_per_member_limit_holds_under_concurrency():
    member = UserFactory(email="rush@example.jp")
    coupon = Coupon.objects.create(code="ONEEACH", name="お一人様1回", value=500, max_uses=None, max_uses_per_user=1)
    orders = [make_order(user=member) for _ in range(10)]
    other = UserFactory(email="other@example.jp")
    other_order = make_order(user=other)

    def work(i):
        if i == 10:
            return hold_in_checkout_transaction("ONEEACH", other_order, other)
        return hold_in_checkout_transaction("ONEEACH", orders[i], member)

    results = run_at_once(11, work)

    errors = [r for r in results if isinstance(r, CouponError)]
    assert {str(e) for e in errors} == {"You have already used this coupon."}
    assert len(errors) == 9
    assert CouponRedemption.objects.filter(coupon=coupon, user=member).count() == 1
    assert CouponRedemption.objects.filter(coupon=coupon, user=other).count() == 1


def test_cancelled_order_gives_the_coupon_back(monkeypatch):
    from loyalty import tasks

    # Only the coupon half of the cancellation task is under test here.
    monkeypatch.setattr(tasks.points, "points_return_for_order", lambda **kwargs: None)
    member = UserFactory()
    Coupon.objects.create(code="COMEBACK", name="再利用", value=700, max_uses=1)
    first = make_order(user=member)
    hold_in_checkout_transaction("COMEBACK", first, member)
    with pytest.raises(CouponError):
        hold_in_checkout_transaction("COMEBACK", make_order(user=member), member)

    # Payment failed and the order was cancelled: the order_cancelled signal (sent on commit) releases the hold.
    assert order_services.order_cancel(order_id=first.pk, reason="payment failed") is True
    assert CouponRedemption.objects.get(order=first).status == CouponRedemption.Status.RELEASED

    again = hold_in_checkout_transaction("COMEBACK", make_order(user=member), member)
    assert again.status == CouponRedemption.Status.HELD
    assert CouponRedemption.objects.filter(status__in=["held", "used"]).count() == 1


def test_welcome_coupon_issued_once_when_followed_from_many_tabs():
    member = UserFactory()
    template = Coupon.objects.create(code="WELCOME", name="フォロー特典", value=300, is_active=False)
    row = LoyaltySettings.load()
    row.welcome_coupon = template
    row.save()

    results = run_at_once(8, lambda i: services.coupon_issue_welcome(user_id=member.pk))

    assert not [r for r in results if isinstance(r, Exception)], results
    assert len([r for r in results if isinstance(r, Coupon)]) == 1
    assert Coupon.objects.filter(owner=member, issue_key="welcome").count() == 1
