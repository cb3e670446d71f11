"""Share campaigns tallied end to end: honest purchases reach tiers, rewards wait for the return window, refunds
cancel them, and a second run of any tally changes nothing."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from loyalty.models import Coupon, LoyaltySettings, PointEntry
from payments import services as payments
from shop.catalog.models import Category
from social.rewards import services
from social.rewards.models import ShareCampaign, SharePurchase, ShareReward, ShareTier
from social.shares import services as share_services
from social.shares.models import Attribution
from tests.factories import CategoryFactory, ProductFactory, VariantFactory

from .conftest import make_member, place, state

pytestmark = pytest.mark.django_db

WINDOW = datetime.timedelta(days=14)  # LoyaltySettings.return_window_days by default


def _share_points(user) -> list[int]:
    return list(
        PointEntry.objects.filter(user=user, kind=PointEntry.Kind.SHARE_REWARD).values_list("amount", flat=True)
    )


def test_an_honest_buyer_gives_the_sharer_the_tiers_points_after_the_return_window(campaign, sharer, buy):
    order = buy(email="friend@example.jp")

    purchase = SharePurchase.objects.get(campaign=campaign, order=order)
    assert (purchase.status, purchase.reasons, purchase.sharer) == (SharePurchase.Status.COUNTED, [], sharer)
    assert purchase.buyer_key == "email:friend@example.jp"
    reward = ShareReward.objects.get(campaign=campaign, sharer=sharer)
    assert reward.status == ShareReward.Status.PENDING
    assert (reward.points, reward.confirm_after) == (100, order.paid_at + WINDOW)
    assert _share_points(sharer) == []

    services.share_rewards_tally(now=order.paid_at + WINDOW - datetime.timedelta(minutes=1))
    reward.refresh_from_db()
    assert reward.status == ShareReward.Status.PENDING
    assert _share_points(sharer) == []

    after = order.paid_at + WINDOW + datetime.timedelta(minutes=1)
    services.share_rewards_tally(now=after)
    reward.refresh_from_db()
    assert (reward.status, reward.decided_at) == (ShareReward.Status.CONFIRMED, after)
    entry = PointEntry.objects.get(user=sharer, kind=PointEntry.Kind.SHARE_REWARD)
    assert (entry.amount, entry.source_key) == (100, f"share_reward:{reward.pk}")
    assert entry.available_at <= after

    before = state(campaign)
    for _ in range(2):
        services.share_rewards_tally(now=after + datetime.timedelta(days=1))
        call_command("tally_share_rewards")
        services.share_purchases_record_for_order(order_id=order.pk, now=after)
    assert state(campaign) == before
    assert _share_points(sharer) == [100]


def test_a_return_window_set_by_staff_moves_the_confirmation(campaign, sharer, buy):
    config = LoyaltySettings.load()
    config.return_window_days = 3
    config.save()
    order = buy(email="friend@example.jp")
    reward = ShareReward.objects.get(campaign=campaign, sharer=sharer)
    assert reward.confirm_after == order.paid_at + datetime.timedelta(days=3)


def test_tiers_count_distinct_buyers_and_each_tier_pays_once(campaign, sharer, buy):
    coupon = Coupon.objects.create(code="SHARE500", name="500円オフ", kind=Coupon.Kind.FIXED, value=500)
    ShareTier.objects.create(campaign=campaign, buyers=2, points=500, coupon=coupon)
    member = make_member("member.friend@example.jp")

    first = buy(email="member.friend@example.jp", user=member)
    buy(email="member.friend@example.jp", user=member)  # the same person again: still one buyer
    assert SharePurchase.objects.filter(campaign=campaign, status=SharePurchase.Status.COUNTED).count() == 2
    assert list(ShareReward.objects.filter(sharer=sharer).values_list("tier__buyers", flat=True)) == [1]

    second = buy(email="Other.Friend@Example.jp")
    rewards = {r.tier.buyers: r for r in ShareReward.objects.filter(sharer=sharer)}
    assert set(rewards) == {1, 2}
    assert rewards[1].confirm_after == first.paid_at + WINDOW
    assert rewards[2].confirm_after == second.paid_at + WINDOW
    assert SharePurchase.objects.get(order=second).buyer_key == "email:other.friend@example.jp"

    services.share_rewards_tally(now=second.paid_at + WINDOW - datetime.timedelta(microseconds=1))
    rewards[1].refresh_from_db(), rewards[2].refresh_from_db()
    assert (rewards[1].status, rewards[2].status) == (ShareReward.Status.CONFIRMED, ShareReward.Status.PENDING)
    assert _share_points(sharer) == [100]

    after = second.paid_at + WINDOW + datetime.timedelta(seconds=1)
    services.share_rewards_tally(now=after)
    rewards[2].refresh_from_db()
    assert rewards[2].status == ShareReward.Status.CONFIRMED
    assert sorted(_share_points(sharer)) == [100, 500]
    personal = rewards[2].coupon
    assert personal is not None and personal.owner == sharer and personal.pk != coupon.pk
    assert personal.issue_key == f"share_reward:{rewards[2].pk}"

    before = state(campaign)
    services.share_rewards_tally(now=after + datetime.timedelta(hours=1))
    assert state(campaign) == before


def test_a_refund_inside_the_window_gives_nothing(campaign, sharer, buy, refund):
    order = buy(email="friend@example.jp")
    refund(order)

    purchase = SharePurchase.objects.get(order=order)
    assert purchase.status == SharePurchase.Status.REFUNDED
    assert Attribution.objects.get(order=order).status == Attribution.Status.REVERSED
    reward = ShareReward.objects.get(sharer=sharer)
    assert reward.status == ShareReward.Status.CANCELLED

    for _ in range(2):
        services.share_rewards_tally(now=order.paid_at + WINDOW + datetime.timedelta(days=1))
    reward.refresh_from_db()
    assert reward.status == ShareReward.Status.CANCELLED
    assert _share_points(sharer) == []


def test_a_partial_refund_keeps_the_purchase_counted(campaign, sharer, buy, refund):
    order = buy(email="friend@example.jp")
    refund(order, amount=100)
    assert SharePurchase.objects.get(order=order).status == SharePurchase.Status.COUNTED
    assert ShareReward.objects.get(sharer=sharer).status == ShareReward.Status.PENDING


def test_another_buyer_after_a_refund_reaches_the_tier_again(campaign, sharer, buy, refund):
    first = buy(email="friend@example.jp")
    refund(first)
    second = buy(email="another@example.jp")
    reward = ShareReward.objects.get(sharer=sharer)
    assert (reward.status, reward.confirm_after) == (ShareReward.Status.PENDING, second.paid_at + WINDOW)
    services.share_rewards_tally(now=second.paid_at + WINDOW)
    assert _share_points(sharer) == [100]


def test_a_refund_after_confirmation_takes_nothing_back(campaign, sharer, buy, refund):
    order = buy(email="friend@example.jp")
    services.share_rewards_tally(now=order.paid_at + WINDOW)
    refund(order)
    services.share_rewards_tally(now=order.paid_at + WINDOW + datetime.timedelta(days=1))
    assert SharePurchase.objects.get(order=order).status == SharePurchase.Status.REFUNDED
    assert ShareReward.objects.get(sharer=sharer).status == ShareReward.Status.CONFIRMED
    assert _share_points(sharer) == [100]


def test_only_the_campaigns_products_and_categories_count(campaign, sharer, buy, link, staff):
    parent = CategoryFactory()
    child = Category.objects.create(parent=parent, name="子カテゴリ", slug="child-category")
    in_child = VariantFactory(product=ProductFactory(category=child), price=2500, stock=10)
    campaign.categories.set([parent])
    outside = buy(email="friend@example.jp")  # the shared product is in another category
    assert not SharePurchase.objects.filter(order=outside).exists()

    # The visitor came through the share and bought another product, one in a subcategory of the campaign's.
    order = place(in_child, email="friend2@example.jp")
    share_services.attribution_record_pending(
        order_numbers=[order.number], link_id=link.pk, clicked_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    payments.manual_payment_mark_paid(order_id=order.pk, actor=staff)
    services.share_purchases_record_for_order(order_id=order.pk)
    assert SharePurchase.objects.get(order=order).status == SharePurchase.Status.COUNTED


def test_an_order_paid_outside_the_period_does_not_count(campaign, sharer, buy):
    ShareCampaign.objects.filter(pk=campaign.pk).update(ends_at=timezone.now() - datetime.timedelta(minutes=1))
    order = buy(email="friend@example.jp")
    assert not SharePurchase.objects.filter(order=order).exists()
    services.share_rewards_tally()
    assert not SharePurchase.objects.filter(order=order).exists()


def test_the_scheduled_tally_records_what_the_order_task_missed(campaign, sharer, buy, staff):
    order = buy(email="friend@example.jp", pay=False)
    # Paid without the on-commit signals (a lost task): attribution and purchase are still open.
    payments.manual_payment_mark_paid(order_id=order.pk, actor=staff)
    assert Attribution.objects.get(order=order).status == Attribution.Status.PENDING
    assert not SharePurchase.objects.exists()

    call_command("tally_share_rewards")
    assert Attribution.objects.get(order=order).status == Attribution.Status.CONFIRMED
    assert SharePurchase.objects.get(order=order).status == SharePurchase.Status.COUNTED
    assert ShareReward.objects.get(sharer=sharer).status == ShareReward.Status.PENDING
    before = state(campaign)
    call_command("tally_share_rewards")
    assert state(campaign) == before


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_celery_worker_records_confirms_and_a_second_tally_changes_nothing(celery_worker_process, campaign, buy):
    """The real path: order_paid on commit → Redis → a worker process runs tally_for_order; beat's task after it."""
    from social.rewards import tasks

    config = LoyaltySettings.load()
    config.return_window_days = 0  # confirmed by the first tally, so one worker run shows the whole path
    config.save()
    order = buy(email="friend@example.jp")

    reward = celery_worker_process.wait_until(
        lambda: ShareReward.objects.filter(campaign=campaign, status=ShareReward.Status.CONFIRMED).first(),
        what="the worker to record the purchase and confirm the reward",
    )
    assert SharePurchase.objects.get(order=order).status == SharePurchase.Status.COUNTED
    assert _share_points(reward.sharer) == [100]

    before = state(campaign)
    for _ in range(2):
        tasks.tally_share_rewards.delay()
    celery_worker_process.wait_until(
        lambda: len(re.findall(r"tasks\.tally_share_rewards\[[^]]+\] succeeded", celery_worker_process.log())) == 2,
        what="two scheduled tallies",
    )
    assert state(campaign) == before
