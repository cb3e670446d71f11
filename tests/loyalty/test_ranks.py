"""Ranks from spend over the last 365 days: regular 0, silver ¥30,000, gold ¥80,000, platinum ¥200,000."""

import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.utils import timezone

from loyalty.models import PointAccount, RankChange
from loyalty.selectors.points import rank_current, rank_progress, rank_spend
from loyalty.services.ranks import rank_free_shipping, rank_recompute, rank_recompute_for_order, ranks_recompute_all
from shop.orders.models import Order
from tests.loyalty.conftest import T0, days, make_member, make_order, refund

pytestmark = pytest.mark.django_db


def test_first_look_at_the_entry_rank_records_no_change(member, ranks):
    assert rank_recompute(user_id=member.pk, now=T0) is None
    account = PointAccount.objects.get(user=member)
    assert (account.rank, account.rank_spend) == (ranks["regular"], 0)
    assert RankChange.objects.count() == 0


def test_spend_moves_the_member_up_and_the_change_is_recorded(member, ranks):
    rank_recompute(user_id=member.pk, now=T0)
    make_order(member, subtotal=29_500, shipping_fee=0, paid_at=T0 - days(10))
    assert rank_recompute(user_id=member.pk, now=T0) is None  # ¥29,500: still regular

    make_order(member, subtotal=500, shipping_fee=0, paid_at=T0)
    change = rank_recompute(user_id=member.pk, now=T0)

    assert (change.old_rank, change.new_rank, change.spend) == (ranks["regular"], ranks["silver"], 30_000)
    assert rank_current(user=member) == ranks["silver"]
    assert rank_recompute(user_id=member.pk, now=T0) is None  # nothing new: nothing recorded
    assert RankChange.objects.count() == 1


def test_refunds_and_cancelled_orders_do_not_count(member, ranks):
    order = make_order(member, subtotal=80_000, shipping_fee=0, paid_at=T0 - days(1))
    make_order(member, subtotal=500_000, paid_at=None, status=Order.Status.CANCELLED)
    assert rank_recompute(user_id=member.pk, now=T0).new_rank == ranks["gold"]

    refund(order, 60_000)
    change = rank_recompute(user_id=member.pk, now=T0)

    assert (change.old_rank, change.new_rank, change.spend) == (ranks["gold"], ranks["regular"], 20_000)


def test_spend_older_than_the_period_drops_out_in_the_daily_recompute(member, ranks):
    make_order(member, subtotal=200_000, shipping_fee=0, paid_at=T0)
    guest = make_order(None, subtotal=10_000, paid_at=T0)
    assert rank_recompute_for_order(order_id=guest.pk) is None
    assert rank_recompute(user_id=member.pk, now=T0 + days(1)).new_rank == ranks["platinum"]

    assert ranks_recompute_all(now=T0 + days(364)) == 0
    assert ranks_recompute_all(now=T0 + days(366)) == 1

    assert PointAccount.objects.get(user=member).rank == ranks["regular"]
    assert rank_spend(user_id=member.pk, now=T0 + days(366)) == 0


def test_recompute_ranks_command_prints_a_summary(member, ranks):
    make_order(member, subtotal=100_000, shipping_fee=0, paid_at=timezone.now() - days(10))
    lapsed = make_member()
    PointAccount.objects.create(user=lapsed, rank=ranks["gold"], rank_spend=90_000, rank_updated_at=T0)
    out = io.StringIO()

    call_command("recompute_ranks", stdout=out)

    assert out.getvalue().strip() == "Rank changes recorded: 2"
    assert PointAccount.objects.get(user=member).rank == ranks["gold"]
    assert PointAccount.objects.get(user=lapsed).rank == ranks["regular"]


def test_free_shipping_follows_the_rank(member, ranks):
    other = make_member()
    make_order(member, subtotal=80_000, shipping_fee=0, paid_at=T0)
    make_order(other, subtotal=30_000, shipping_fee=0, paid_at=T0)
    rank_recompute(user_id=member.pk, now=T0)
    rank_recompute(user_id=other.pk, now=T0)

    assert rank_free_shipping(user=member) is True  # gold
    assert rank_free_shipping(user=other) is False  # silver
    assert rank_free_shipping(user=AnonymousUser()) is False


def test_progress_to_the_next_rank(member, ranks):
    make_order(member, subtotal=50_000, shipping_fee=0, paid_at=timezone.now() - days(1))
    rank_recompute(user_id=member.pk)

    assert rank_progress(user=member) == (ranks["silver"], ranks["gold"], 50_000, 30_000)
