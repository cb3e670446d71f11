"""Demo loyalty data for `make demo`: coupons (listed, welcome, birthday), a share campaign with three tiers, and
points for the demo shopper so redeeming can be tried at once. Idempotent: rows are found by code or name."""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import timezone

from loyalty.models import Coupon, LoyaltySettings, PointEntry
from loyalty.services.points import points_award
from social.rewards.models import ShareCampaign, ShareTier

SHOPPER_EMAIL = "shopper@example.jp"


@dataclass
class LoyaltyDemo:
    coupons: list[str]
    campaign: str
    shopper_points: int


def _coupon(code: str, **fields) -> Coupon:
    coupon, _created = Coupon.objects.get_or_create(code=code, defaults=fields)
    return coupon


def demo_loyalty_seed() -> LoyaltyDemo:
    now = timezone.now()
    spring = _coupon(
        "WELCOME500",
        name="はじめてのお買い物クーポン",
        description="¥3,000以上のお買い上げで¥500引き。お一人さま1回限り。",
        kind=Coupon.Kind.FIXED,
        value=500,
        min_subtotal=3000,
        max_uses_per_user=1,
        valid_until=now + datetime.timedelta(days=90),
        is_listed=True,
    )
    free = _coupon(
        "SHIPFREE",
        name="送料無料クーポン",
        description="¥2,000以上のお買い上げで送料無料。",
        kind=Coupon.Kind.FREE_SHIPPING,
        min_subtotal=2000,
        max_uses_per_user=3,
        valid_until=now + datetime.timedelta(days=60),
        is_listed=True,
    )
    welcome = _coupon(
        "FOLLOW",
        name="フォローありがとうクーポン",
        description="ショップをフォローしてくれた方へ。10%オフ（上限¥1,000）。",
        kind=Coupon.Kind.PERCENT,
        value=10,
        max_discount=1000,
        is_active=False,  # a template: members get personal copies
    )
    birthday = _coupon(
        "BIRTHDAY",
        name="お誕生月クーポン",
        description="お誕生月の特別クーポン。15%オフ（上限¥2,000）。",
        kind=Coupon.Kind.PERCENT,
        value=15,
        max_discount=2000,
        is_active=False,
    )
    tier_coupon = _coupon(
        "SHARE1000", name="シェア特典クーポン", description="¥1,000引き。", kind=Coupon.Kind.FIXED, value=1000,
        is_active=False,
    )  # fmt: skip
    settings = LoyaltySettings.load()
    settings.welcome_coupon = settings.welcome_coupon or welcome
    settings.birthday_coupon = settings.birthday_coupon or birthday
    settings.save()

    campaign, created = ShareCampaign.objects.get_or_create(
        name="シェアでポイント！春のキャンペーン",
        defaults={
            "description": "あなたのシェアリンクから購入した人数に応じて特典が増えます。",
            "starts_at": now - datetime.timedelta(days=1),
            "ends_at": now + datetime.timedelta(days=60),
        },
    )
    if created:
        ShareTier.objects.bulk_create(
            [
                ShareTier(campaign=campaign, buyers=1, points=100),
                ShareTier(campaign=campaign, buyers=3, points=500, coupon=tier_coupon),
                ShareTier(campaign=campaign, buyers=10, points=2000),
            ]
        )

    shopper = get_user_model().objects.filter(email=SHOPPER_EMAIL).first()
    points = 0
    if shopper is not None:
        points_award(
            user=shopper,
            amount=1500,
            kind=PointEntry.Kind.ADJUSTMENT,
            source_key="demo:shopper-points",
            available_at=now - datetime.timedelta(days=1),
            note="デモ用ポイント",
        )
        points = 1500
    return LoyaltyDemo(coupons=[spring.code, free.code], campaign=campaign.name, shopper_points=points)
