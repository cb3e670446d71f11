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

# Orders recorded per round of the scheduled tally: a campaign's row lock is taken once per round, not per order.
TALLY_CHUNK = 200


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


def _purchases_refund(*, order_ids: list[int]) -> set[tuple[int, int]]:
    """Marks the orders' purchases refunded. Returns their (campaign, sharer) pairs."""
    if not order_ids:
        return set()
    with transaction.atomic():
        rows = list(
            SharePurchase.objects.select_for_update()
            .filter(order_id__in=order_ids, status__in=selectors.REFUNDABLE)
            .order_by("pk")
            .values_list("pk", "campaign_id", "sharer_id")
        )
        SharePurchase.objects.filter(pk__in=[pk for pk, _c, _s in rows]).update(status=SharePurchase.Status.REFUNDED)
    return {(campaign_id, sharer_id) for _pk, campaign_id, sharer_id in rows}


def _findings_by_campaign(
    *, attributions: list[Attribution], scopes: list[selectors.CampaignScope]
) -> dict[int, list[tuple[Attribution, list[dict]]]]:
    """{campaign id: [(attribution, findings)]} of the campaigns each order falls under and is not recorded in yet.
    The fraud checks run once per order, whatever the number of campaigns."""
    if not attributions:
        return {}
    order_ids = [attribution.order_id for attribution in attributions]
    lines = selectors.order_lines_products(order_ids=order_ids)
    recorded = selectors.share_purchases_recorded(order_ids=order_ids)
    found: dict[int, list[tuple[Attribution, list[dict]]]] = {}
    for attribution in attributions:
        order = attribution.order
        campaigns = [
            scope.campaign
            for scope in scopes
            if scope.campaign.pk not in recorded.get(order.pk, ())
            and scope.covers(paid_at=order.paid_at, lines=lines.get(order.pk, set()))
        ]
        if not campaigns:
            continue
        findings = selectors.share_purchase_findings(campaigns=campaigns, order=order, attribution=attribution)
        for campaign in campaigns:
            found.setdefault(campaign.pk, []).append((attribution, findings[campaign.pk]))
    return found


def _daily_cap_findings(*, campaign: ShareCampaign, counted: int, day: datetime.date) -> list[dict]:
    if counted < campaign.daily_cap:
        return []
    detail = _("Purchases already counted for this sharer on %(day)s: %(count)s (daily cap: %(cap)s).") % {
        "count": counted,
        "day": formats.date_format(day, "SHORT_DATE_FORMAT"),
        "cap": campaign.daily_cap,
    }
    return [{"code": selectors.DAILY_CAP, "detail": detail}]


def _purchase(
    *, campaign: ShareCampaign, attribution: Attribution, findings: list[dict], counted: Counter
) -> SharePurchase:
    """The order's purchase in the campaign; counted holds the purchases counting per (sharer, day) so far."""
    order = attribution.order
    key = (attribution.link.sharer_id, timezone.localdate(order.paid_at))
    findings = [*findings, *_daily_cap_findings(campaign=campaign, counted=counted[key], day=key[1])]
    if not findings:
        counted[key] += 1
    return SharePurchase(
        campaign=campaign,
        sharer_id=key[0],
        order=order,
        buyer_key=_buyer_key(order),
        status=SharePurchase.Status.REVIEW if findings else SharePurchase.Status.COUNTED,
        reasons=findings,
        paid_at=order.paid_at,
    )


def _purchases_create(*, campaign_id: int, found: list[tuple[Attribution, list[dict]]]) -> set[tuple[int, int]]:
    """Records the orders in one campaign, in order id order. Returns the (campaign, sharer) pairs recorded."""
    with transaction.atomic():
        # One campaign's purchases are recorded under its row lock, so the daily cap cannot be passed by a race;
        # an order recorded meanwhile (by its own task) is left out.
        campaign = ShareCampaign.objects.select_for_update().get(pk=campaign_id)
        order_ids = [attribution.order_id for attribution, _findings in found]
        done = set(
            SharePurchase.objects.filter(campaign=campaign, order_id__in=order_ids).values_list("order_id", flat=True)
        )
        found = [(attribution, findings) for attribution, findings in found if attribution.order_id not in done]
        sharer_days = {(a.link.sharer_id, timezone.localdate(a.order.paid_at)) for a, _findings in found}
        counted = selectors.share_purchases_counted_by_day(campaign_id=campaign_id, sharer_days=sharer_days)
        purchases = [
            _purchase(campaign=campaign, attribution=attribution, findings=findings, counted=counted)
            for attribution, findings in found
        ]
        SharePurchase.objects.bulk_create(purchases)
    for purchase in purchases:
        if purchase.reasons:
            codes = [finding["code"] for finding in purchase.reasons]
            logger.info("Share purchase of order %s held for review: %s", purchase.order.number, codes)
    return {(campaign_id, purchase.sharer_id) for purchase in purchases}


def _record(*, order_ids: list[int], scopes: list[selectors.CampaignScope]) -> set[tuple[int, int]]:
    """Records the orders in every campaign they fall under, or marks their purchases refunded. Returns the
    (campaign, sharer) pairs whose tiers must be tallied again."""
    # The shares app decides the attribution on the same signal; deciding it here too (idempotent, under its row
    # lock) means the order of the two tasks does not matter.
    share_services.attributions_confirm(order_ids=order_ids)
    attributions = selectors.share_attributions_paid(order_ids=order_ids)
    refunded = {a.order_id for a in attributions if _is_refunded(a.order, a)}
    touched = _purchases_refund(order_ids=sorted(refunded))
    counting = [a for a in attributions if a.order_id not in refunded and _counts_for_rewards(a)]
    with translation.override(settings.LANGUAGE_CODE):
        for campaign_id, found in _findings_by_campaign(attributions=counting, scopes=scopes).items():
            touched |= _purchases_create(campaign_id=campaign_id, found=found)
    return touched


def share_purchases_record_for_order(*, order_id: int, now: datetime.datetime | None = None) -> dict[str, int]:
    """After an order is paid or refunded: records or refunds its share purchases and tallies the sharer's tiers."""
    changes: Counter = Counter()
    for campaign_id, sharer_id in sorted(_record(order_ids=[order_id], scopes=selectors.campaign_scopes())):
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
    scopes = selectors.campaign_scopes()
    order_ids: set[int] = set()
    for scope in scopes:
        if scope.campaign.starts_at <= now and scope.campaign.ends_at >= horizon:
            order_ids.update(selectors.campaign_unrecorded_order_ids(scope=scope))
    refunded = SharePurchase.objects.filter(status__in=selectors.REFUNDABLE).filter(
        Q(order__status=Order.Status.REFUNDED) | Q(order__share_attribution__status=Attribution.Status.REVERSED)
    )
    order_ids.update(refunded.values_list("order_id", flat=True))

    # A chunk of orders at a time, each campaign's purchases of a chunk in one transaction: a crash keeps the chunks
    # done, and the next run finds the rest still unrecorded.
    pairs: set[tuple[int, int]] = set()
    ordered = sorted(order_ids)
    for start in range(0, len(ordered), TALLY_CHUNK):
        pairs |= _record(order_ids=ordered[start : start + TALLY_CHUNK], scopes=scopes)
    if ordered:
        changes["orders"] = len(ordered)
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
