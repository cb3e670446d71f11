"""Property-based tests of the ledger: any sequence of earning, redeeming, refunds, cancellations, expiry and staff
adjustments, at moving times, keeps the ledger sound, and running any step a second time changes nothing."""

import pytest
from django.db import transaction
from django.db.models import Count, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty.exceptions import PointsError
from loyalty.models import PointAccount, PointEntry
from loyalty.selectors.points import points_balance, points_entries, points_lots
from loyalty.services import points as svc
from shop.orders.models import Order
from tests.loyalty.conftest import T0, days, make_member, make_order, refund

pytestmark = pytest.mark.django_db
Kind = PointEntry.Kind

step = st.integers(min_value=0, max_value=120)  # days passing before the operation
operations = st.one_of(
    st.tuples(st.just("earn"), step, st.integers(1_000, 40_000), st.integers(0, 600)),
    st.tuples(st.just("checkout_unpaid"), step, st.integers(1_000, 10_000), st.integers(0, 600)),
    st.tuples(st.just("refund"), step, st.integers(0, 20), st.integers(1, 100)),
    st.tuples(st.just("cancel"), step, st.integers(0, 20), st.just(0)),
    st.tuples(st.just("expire"), st.integers(0, 400), st.just(0), st.just(0)),
    st.tuples(st.just("adjust"), step, st.integers(-800, 800).filter(bool), st.just(0)),
)


def snapshot(user):
    account = PointAccount.objects.filter(user=user).values_list("shortfall", flat=True).first()
    return list(PointEntry.objects.filter(user=user).order_by("pk").values_list("source_key", "amount")), account


def check(user, now):
    entries = points_entries(user_id=user.pk)
    usable = sum(e.amount for e in entries if e.available_at <= now)
    pending = sum(e.amount for e in entries if e.available_at > now)
    assert usable >= 0, "usable balance below zero"
    assert pending >= 0, "pending balance below zero"
    assert sum(e.amount for e in entries) >= 0
    # Every taking found points to take from: what is left of the usable lots is exactly the usable balance.
    lots = points_lots(entries=entries)
    assert all(lot.remaining >= 0 for lot in lots)
    assert sum(lot.remaining for lot in lots if lot.entry.available_at <= now) == usable
    balance = points_balance(user=user, now=now)
    assert balance.pending == pending
    assert 0 <= balance.available <= usable
    # Points owed: the account's figure is the sum of the ledger's points-owed entries, never negative.
    shortfall = PointAccount.objects.filter(user=user).values_list("shortfall", flat=True).first() or 0
    owed = sum(e.amount for e in entries if e.kind == Kind.SHORTFALL)
    assert shortfall == owed >= 0
    assert balance.shortfall == shortfall
    # No source counted twice: one earn, one use and one return per order at most.
    per_order = (
        PointEntry.objects.filter(user=user, kind__in=[Kind.ORDER, Kind.REDEMPTION, Kind.REDEMPTION_RETURN])
        .values("order_id", "kind")
        .annotate(n=Count("id"))
    )
    assert all(row["n"] == 1 for row in per_order)
    # Reversals never take back more than the order earned.
    for earn in PointEntry.objects.filter(user=user, kind=Kind.ORDER):
        reversed_ = PointEntry.objects.filter(
            source_key__startswith=f"order:{earn.order_id}:reversal:", kind=Kind.REVERSAL
        ).aggregate(total=Sum("amount"))["total"]
        assert -(reversed_ or 0) <= earn.amount


def run(user, op, now, orders):
    """Applies one operation; returns a callable that repeats it exactly (same ids, same time)."""
    kind, _days, a, b = op
    paid = [o for o in orders if o.paid_at is not None]
    unpaid = [o for o in orders if o.paid_at is None and o.status != Order.Status.CANCELLED]
    if kind in ("earn", "checkout_unpaid"):
        order = make_order(user, subtotal=a, paid_at=None)
        used = 0
        if b:
            try:
                used = svc.points_redeem_for_order(user=user, order=order, points=b, now=now)
            except PointsError:
                used = 0
        if used:
            Order.objects.filter(pk=order.pk).update(discount=used, points_used=used, total=order.total - used)
        if kind == "earn":
            Order.objects.filter(pk=order.pk).update(paid_at=now, status=Order.Status.PAID)
        order.refresh_from_db()
        orders.append(order)
        if kind == "earn":
            svc.points_award_for_order(order_id=order.pk, now=now)
            return lambda: svc.points_award_for_order(order_id=order.pk, now=now)
        return lambda: svc.points_redeem_for_order(user=user, order=order, points=used, now=now) if used else None
    if kind == "refund":
        if not paid:
            return None
        order = paid[a % len(paid)]
        order.refresh_from_db()
        left = order.total - order.refunded_amount
        if left <= 0:
            return None
        refund(order, max(1, left * b // 100))
        svc.points_reverse_for_order(order_id=order.pk, now=now)
        return lambda: svc.points_reverse_for_order(order_id=order.pk, now=now)
    if kind == "cancel":
        if not unpaid:
            return None
        order = unpaid[a % len(unpaid)]
        Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
        order.refresh_from_db()
        orders[orders.index(order)] = order
        svc.points_return_for_order(order_id=order.pk, now=now)
        return lambda: svc.points_return_for_order(order_id=order.pk, now=now)
    if kind == "expire":
        svc.points_expire(now=now)
        return lambda: svc.points_expire(now=now)
    key = f"k{len(orders)}-{now.timestamp()}"
    try:
        svc.points_adjust(user=user, amount=a, reason="調整", actor=None, key=key, now=now)
    except PointsError:
        return None
    return lambda: svc.points_adjust(user=user, amount=a, reason="調整", actor=None, key=key, now=now)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operations, min_size=1, max_size=14))
def test_any_sequence_keeps_the_ledger_sound_and_every_step_idempotent(ranks, ops):
    with transaction.atomic():
        user = make_member()
        orders: list[Order] = []
        now = T0
        for op in ops:
            now = now + days(op[1])
            again = run(user, op, now, orders)
            check(user, now)
            if again is not None:
                before = snapshot(user)
                again()
                assert snapshot(user) == before, f"repeating {op[0]} changed the ledger"
        # Far in the future every lot has expired or been used: nothing usable is left, nothing below zero.
        svc.points_expire(now=now + days(1_000))
        check(user, now + days(1_000))
        assert points_balance(user=user, now=now + days(1_000)).available == 0
        transaction.set_rollback(True)


def test_the_property_check_catches_a_ledger_below_zero(ranks):
    """The checks above can fail: a redemption written past the balance is caught."""
    user = make_member()
    svc.points_adjust(user=user, amount=100, reason="調整", actor=None, now=T0)
    PointEntry.objects.create(user=user, amount=-150, kind=Kind.REDEMPTION, source_key="bad", available_at=T0)
    with pytest.raises(AssertionError, match="below zero"):
        check(user, T0)
