"""The sharer's page (progress, pending and confirmed rewards, never who bought) and the public campaign page."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from loyalty.models import Coupon
from social.rewards import services
from social.rewards.models import ShareTier

from .conftest import make_member

pytestmark = pytest.mark.django_db

WINDOW = datetime.timedelta(days=14)


def _page(user) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("share_rewards:mine"))
    assert response.status_code == 200
    assert response.context["account_section"] == "share_rewards"
    return response.content.decode()


def test_the_page_needs_sign_in(db):
    response = Client().get("/account/share-rewards/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_sharer_without_purchases_sees_the_running_campaigns(campaign, sharer):
    body = _page(sharer)
    assert "data-campaign=" not in body
    assert f'href="/share-campaigns/{campaign.pk}/"' in body


def test_progress_pending_review_count_and_no_buyer_identities(campaign, sharer, buy):
    ShareTier.objects.create(campaign=campaign, buyers=3, points=500)
    first = buy(email="friend@example.jp")
    held = buy(email=sharer.email)  # the sharer's own e-mail: waits for review

    body = _page(sharer)
    assert f'data-campaign="{campaign.pk}"' in body
    assert 'value="1" max="3"' in body  # one counted buyer of the three the next tier needs
    assert 'data-remaining="2"' in body
    assert 'data-in-review="1"' in body
    assert body.count("data-pending-reward") == 1
    confirm_on = (first.paid_at + WINDOW).astimezone(datetime.timezone(datetime.timedelta(hours=9)))
    assert f"{confirm_on.year}年{confirm_on.month}月{confirm_on.day}日" in body
    for secret in ("friend@example.jp", first.number, held.number, "鈴木", "佐藤"):
        assert secret not in body


def test_confirmed_rewards_show_points_and_the_coupon_code(campaign, sharer, buy):
    tier = campaign.tiers.get()
    tier.coupon = Coupon.objects.create(code="THANKS", name="お礼クーポン", kind=Coupon.Kind.FIXED, value=300)
    tier.save()
    order = buy(email="friend@example.jp")
    services.share_rewards_tally(now=order.paid_at + WINDOW)

    body = _page(sharer)
    assert body.count("data-confirmed-reward") == 1
    personal = Coupon.objects.get(owner=sharer)
    assert personal.code in body
    assert "data-pending-reward" not in body
    assert "data-all-tiers" in body


def test_other_members_see_only_their_own_campaigns(campaign, buy):
    buy(email="friend@example.jp")
    body = _page(make_member("someone@example.jp"))
    assert "data-campaign=" not in body


def test_the_campaign_page_is_public_and_states_tiers_period_products_and_rules(campaign, variant):
    campaign.products.set([variant.product])
    ShareTier.objects.create(
        campaign=campaign,
        buyers=3,
        points=2000,
        coupon=Coupon.objects.create(code="TIER3", name="送料無料クーポン", kind=Coupon.Kind.FREE_SHIPPING),
    )
    response = Client().get(f"/share-campaigns/{campaign.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert campaign.name in body and campaign.description in body
    assert 'data-tier="1"' in body and 'data-tier="3"' in body
    assert "2,000" in body and "送料無料クーポン" in body
    assert "data-period" in body
    assert variant.product.name in body and variant.product.get_absolute_url() in body
    assert "14" in body  # the return window
    assert 'class="rules"' in body


def test_a_campaign_without_products_counts_everything(campaign):
    body = Client().get(f"/share-campaigns/{campaign.pk}/").content.decode()
    assert "data-every-product" in body


def test_an_inactive_or_unknown_campaign_is_a_404(campaign):
    campaign.is_active = False
    campaign.save()
    assert Client().get(f"/share-campaigns/{campaign.pk}/").status_code == 404
    assert Client().get("/share-campaigns/999999/").status_code == 404
