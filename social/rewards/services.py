"""Writes of share rewards: purchases recorded with their fraud checks, tiers tallied, rewards confirmed or cancelled.

Everything here can run any number of times: a purchase is recorded once per campaign and order (unique), a reward
once per campaign, tier and sharer (unique), points and coupons once per reward (unique source and issue keys).
"""

import datetime
import logging
from collections import Counter

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from loyalty.models import Coupon, LoyaltySettings, PointEntry
from loyalty.services import coupons as coupon_services
from loyalty.services import points as point_services
from shop.orders.models import Order
from social.shares import services as share_services
from social.shares.constants import ATTRIBUTION_WINDOW
from social.shares.models import Attribution

from . import selectors
from .models import ShareCampaign, SharePurchase, ShareReward

logger = logging.getLogger(__name__)


def _buyer_key(order: Order) -> str:
    if order.user_id is not None:
        return f"user:{order.user_id}"
    return f"email:{order.email.strip().lower()}"


def _counts_for_rewards(attribution: Attribution) -> bool:
    """Confirmed attributions count; the sharer's own purchase is recorded too, so staff see it in the queue."""
    if attribution.status == Attribution.Status.CONFIRMED:
        return True
    return attribution.status == Attribution.Status.REJECTED and attribution.reason == Attribution.Reason.SELF_PURCHASE


def _is_refunded(order: Order, attribution: Attribution) -> bool:
    return order.status == Order.Status.REFUNDED or attribution.status == Attribution.Status.REVERSED


def _record(*, order_id: int) -> set[tuple[int, int]]:
    """Records the order in every campaign it falls under, or marks its purchases refunded. Returns the
    (campaign, sharer) pairs whose tiers must be tallied again."""
    # The shares app decides the attribution on the same signal; deciding it here too (idempotent, under its row
    # lock) means the order of the two tasks does not matter.
    share_services.attribution_confirm(order_id=order_id)
    attribution = Attribution.objects.select_related("order__user", "link__sharer").filter(order_id=order_id).first()
    if attribution is None or attribution.order.paid_at is None:
        return set()
    order = attribution.order
    touched: set[tuple[int, int]] = set()

    if _is_refunded(order, attribution):
        with transaction.atomic():
            purchases = SharePurchase.objects.select_for_update().filter(order=order, status__in=selectors.REFUNDABLE)
            for purchase in purchases:
                purchase.status = SharePurchase.Status.REFUNDED
                purchase.save(update_fields=["status"])
                touched.add((purchase.campaign_id, purchase.sharer_id))
        return touched
    if not _counts_for_rewards(attribution):
        return touched

    sharer = attribution.link.sharer
    recorded = set(SharePurchase.objects.filter(order=order).values_list("campaign_id", flat=True))
    for campaign in selectors.campaigns_for_order(order=order):
        if campaign.pk in recorded:
            continue
        with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
            # One campaign's purchases are recorded one at a time, so the daily cap cannot be passed by a race.
            campaign = ShareCampaign.objects.select_for_update().get(pk=campaign.pk)
            if SharePurchase.objects.filter(campaign=campaign, order=order).exists():
                continue
            findings = selectors.share_purchase_findings(campaign=campaign, order=order, attribution=attribution)
            day = timezone.localdate(order.paid_at)
            counted = selectors.share_purchases_counted_on_day(campaign_id=campaign.pk, sharer_id=sharer.pk, day=day)
            if counted >= campaign.daily_cap:
                findings.append(
                    {
                        "code": selectors.DAILY_CAP,
                        "detail": _(
                            "Purchases already counted for this sharer on %(day)s: %(count)s (daily cap: %(cap)s)."
                        )
                        % {
                            "count": counted,
                            "day": formats.date_format(day, "SHORT_DATE_FORMAT"),
                            "cap": campaign.daily_cap,
                        },
                    }
                )
            SharePurchase.objects.create(
                campaign=campaign,
                sharer=sharer,
                order=order,
                buyer_key=_buyer_key(order),
                status=SharePurchase.Status.REVIEW if findings else SharePurchase.Status.COUNTED,
                reasons=findings,
                paid_at=order.paid_at,
            )
        if findings:
            logger.info("Share purchase of order %s held for review: %s", order.number, [f["code"] for f in findings])
        touched.add((campaign.pk, sharer.pk))
    return touched


def share_purchases_record_for_order(*, order_id: int, now: datetime.datetime | None = None) -> dict[str, int]:
    """After an order is paid or refunded: records or refunds its share purchases and tallies the sharer's tiers."""
    changes: Counter = Counter()
    for campaign_id, sharer_id in sorted(_record(order_id=order_id)):
        changes.update(share_rewards_tally_sharer(campaign_id=campaign_id, sharer_id=sharer_id, now=now))
    return dict(changes)


def _reward_confirm(*, reward: ShareReward, campaign: ShareCampaign, now: datetime.datetime) -> None:
    """Pays a (locked, pending) reward: points usable at once, and a personal copy of the tier's coupon."""
    key = f"share_reward:{reward.pk}"
    if reward.points:
        point_services.points_award(
            user=reward.sharer,
            amount=reward.points,
            kind=PointEntry.Kind.SHARE_REWARD,
            source_key=key,
            available_at=now,
            note=campaign.name[:200],
        )
    template = reward.tier.coupon
    if template is not None and reward.coupon_id is None:
        coupon = coupon_services.coupon_issue_personal(template=template, user=reward.sharer, issue_key=key)
        reward.coupon = coupon or Coupon.objects.filter(owner=reward.sharer, issue_key=key).first()
    reward.status = ShareReward.Status.CONFIRMED
    reward.decided_at = now
    reward.save(update_fields=["status", "coupon", "decided_at"])
    logger.info("Share reward %s confirmed: %s points", reward.pk, reward.points)


def share_rewards_tally_sharer(*, campaign_id: int, sharer_id: int, now: datetime.datetime | None = None) -> dict:
    """Brings one sharer's rewards in one campaign in line with the purchases counted now.

    A tier reached gets a pending reward, confirmed once the return window has passed for the purchases that
    reached it; a pending reward whose tier is no longer reached (a refund) is cancelled; confirmed ones stay.
    """
    now = now or timezone.now()
    window = datetime.timedelta(days=LoyaltySettings.load().return_window_days)
    changes: Counter = Counter()
    with transaction.atomic():
        campaign = ShareCampaign.objects.select_for_update().get(pk=campaign_id)
        rewards = {
            reward.tier_id: reward
            for reward in ShareReward.objects.select_for_update(of=("self",))
            .select_related("sharer", "tier__coupon")
            .filter(campaign=campaign, sharer_id=sharer_id)
        }
        buyers = selectors.share_buyers_counted(campaign_id=campaign_id, sharer_id=sharer_id)
        for tier in campaign.tiers.select_related("coupon").order_by("buyers"):
            reward = rewards.get(tier.pk)
            reached = len(buyers) >= tier.buyers
            if reward is not None and reward.status == ShareReward.Status.CONFIRMED:
                continue
            if not reached:
                if reward is not None and reward.status == ShareReward.Status.PENDING:
                    reward.status, reward.decided_at = ShareReward.Status.CANCELLED, now
                    reward.save(update_fields=["status", "decided_at"])
                    changes["cancelled"] += 1
                continue
            # The tier's last needed buyer's payment, plus the return window: no refund can undo it after that.
            confirm_after = buyers[tier.buyers - 1][1] + window
            if reward is None:
                reward = ShareReward.objects.create(
                    campaign=campaign,
                    tier=tier,
                    sharer_id=sharer_id,
                    points=tier.points,
                    confirm_after=confirm_after,
                )
                changes["pending"] += 1
            elif reward.status == ShareReward.Status.CANCELLED:
                reward.status, reward.decided_at = ShareReward.Status.PENDING, None
                reward.points, reward.confirm_after = tier.points, confirm_after
                reward.save(update_fields=["status", "decided_at", "points", "confirm_after"])
                changes["pending"] += 1
            elif reward.confirm_after != confirm_after:
                reward.confirm_after = confirm_after
                reward.save(update_fields=["confirm_after"])
            if reward.confirm_after <= now:
                _reward_confirm(reward=reward, campaign=campaign, now=now)
                changes["confirmed"] += 1
    return dict(changes)


def share_rewards_tally(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The scheduled tally: records attributed orders the per-order task missed, applies refunds, then tallies
    every sharer with a pending reward or counted purchases in a campaign still open, confirming what is due."""
    now = now or timezone.now()
    window = datetime.timedelta(days=LoyaltySettings.load().return_window_days)
    # Orders paid at the very end of a campaign are decided within the attribution window and refundable for the
    # return window after that; a campaign needs no more tallies once both have passed.
    horizon = now - window - ATTRIBUTION_WINDOW - datetime.timedelta(days=1)
    changes: Counter = Counter()
    order_ids: set[int] = set()
    for campaign in ShareCampaign.objects.filter(is_active=True, starts_at__lte=now, ends_at__gte=horizon):
        order_ids.update(selectors.campaign_unrecorded_order_ids(campaign=campaign))
    refunded = SharePurchase.objects.filter(status__in=selectors.REFUNDABLE).filter(
        Q(order__status=Order.Status.REFUNDED) | Q(order__share_attribution__status=Attribution.Status.REVERSED)
    )
    order_ids.update(refunded.values_list("order_id", flat=True))

    pairs: set[tuple[int, int]] = set()
    for order_id in sorted(order_ids):
        pairs |= _record(order_id=order_id)
        changes["orders"] += 1
    pairs |= set(ShareReward.objects.filter(status=ShareReward.Status.PENDING).values_list("campaign_id", "sharer_id"))
    pairs |= set(
        SharePurchase.objects.filter(status__in=selectors.COUNTING, campaign__ends_at__gte=horizon).values_list(
            "campaign_id", "sharer_id"
        )
    )
    for campaign_id, sharer_id in sorted(pairs):
        changes.update(share_rewards_tally_sharer(campaign_id=campaign_id, sharer_id=sharer_id, now=now))
    return dict(changes)


def share_purchase_review(
    *, purchase_id: int, approve: bool, actor, now: datetime.datetime | None = None
) -> SharePurchase | None:
    """Staff's decision on a purchase: approved ones count, rejected ones do not. Then the sharer is tallied again.

    Returns the purchase, or None if its state allows no such decision (a refunded purchase, or the same decision
    made already).
    """
    now = now or timezone.now()
    allowed = (
        (SharePurchase.Status.REVIEW, SharePurchase.Status.REJECTED)
        if approve
        else (SharePurchase.Status.REVIEW, SharePurchase.Status.COUNTED, SharePurchase.Status.APPROVED)
    )
    with transaction.atomic():
        purchase = SharePurchase.objects.select_for_update().get(pk=purchase_id)
        if purchase.status not in allowed:
            return None
        purchase.status = SharePurchase.Status.APPROVED if approve else SharePurchase.Status.REJECTED
        purchase.reviewed_by = actor if actor is not None and actor.is_authenticated else None
        purchase.reviewed_at = now
        purchase.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    logger.info("Share purchase %s %s by %s", purchase.pk, purchase.status, actor)
    share_rewards_tally_sharer(campaign_id=purchase.campaign_id, sharer_id=purchase.sharer_id, now=now)
    return purchase
