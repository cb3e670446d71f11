"""Staff side: campaigns with their tiers, the review queue with readable reasons and its actions, rewards listed."""

import datetime

import pytest
from django.utils import timezone
from django.utils.html import escape

from social.rewards.models import ShareCampaign, SharePurchase, ShareReward

pytestmark = pytest.mark.django_db

QUEUE = "/admin/share_rewards/sharepurchase/"


def test_staff_create_a_campaign_with_tiers(admin_client_verified, variant):
    start = timezone.localtime() + datetime.timedelta(days=1)
    end = start + datetime.timedelta(days=14)
    form = admin_client_verified.get("/admin/share_rewards/sharecampaign/add/")
    assert form.status_code == 200
    response = admin_client_verified.post(
        "/admin/share_rewards/sharecampaign/add/",
        {
            "name": "夏のシェア",
            "description": "",
            "starts_at_0": start.strftime("%Y-%m-%d"),
            "starts_at_1": "00:00:00",
            "ends_at_0": end.strftime("%Y-%m-%d"),
            "ends_at_1": "23:59:59",
            "is_active": "on",
            "products": [variant.product_id],
            "daily_cap": 5,
            "network_window_hours": 24,
            "network_max_accounts": 3,
            "tiers-TOTAL_FORMS": 2,
            "tiers-INITIAL_FORMS": 0,
            "tiers-MIN_NUM_FORMS": 0,
            "tiers-MAX_NUM_FORMS": 1000,
            "tiers-0-buyers": 1,
            "tiers-0-points": 100,
            "tiers-1-buyers": 3,
            "tiers-1-points": 500,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign = ShareCampaign.objects.get(name="夏のシェア")
    assert list(campaign.tiers.values_list("buyers", "points")) == [(1, 100), (3, 500)]
    assert list(campaign.products.all()) == [variant.product]
    listing = admin_client_verified.get("/admin/share_rewards/sharecampaign/")
    assert listing.status_code == 200
    assert "夏のシェア" in listing.content.decode()


def test_the_queue_opens_on_purchases_waiting_and_shows_the_reasons(admin_client_verified, campaign, sharer, buy):
    held = buy(email=sharer.email)
    counted = buy(email="friend@example.jp")
    body = admin_client_verified.get(QUEUE).content.decode()  # the queue: waiting for review by default
    assert held.number in body and counted.number not in body
    everything = admin_client_verified.get(f"{QUEUE}?status=all").content.decode()
    assert held.number in everything and counted.number in everything
    only_counted = admin_client_verified.get(f"{QUEUE}?status=counted").content.decode()
    assert held.number not in only_counted and counted.number in only_counted
    purchase = SharePurchase.objects.get(order=held)
    for reason in purchase.reasons:
        assert escape(reason["detail"]) in body
    assert "Own link" in body or "自分のリンク" in body

    detail = admin_client_verified.get(f"{QUEUE}{purchase.pk}/change/")
    assert detail.status_code == 200
    assert escape(purchase.reasons[0]["detail"]) in detail.content.decode()
    campaigns = admin_client_verified.get("/admin/share_rewards/sharecampaign/").content.decode()
    assert f"campaign__id__exact={campaign.pk}&amp;status=review" in campaigns


def test_approve_and_reject_actions_record_who_and_tally_again(admin_client_verified, campaign, sharer, buy):
    held = buy(email=sharer.email)
    purchase = SharePurchase.objects.get(order=held)
    assert not ShareReward.objects.filter(sharer=sharer).exists()

    response = admin_client_verified.post(
        f"{QUEUE}?status=review", {"action": "approve", "_selected_action": [purchase.pk]}
    )
    assert response.status_code == 302
    purchase.refresh_from_db()
    assert purchase.status == SharePurchase.Status.APPROVED
    assert purchase.reviewed_by == admin_client_verified.user and purchase.reviewed_at is not None
    assert ShareReward.objects.get(sharer=sharer).status == ShareReward.Status.PENDING

    admin_client_verified.post(f"{QUEUE}?status=approved", {"action": "reject", "_selected_action": [purchase.pk]})
    purchase.refresh_from_db()
    assert purchase.status == SharePurchase.Status.REJECTED
    assert ShareReward.objects.get(sharer=sharer).status == ShareReward.Status.CANCELLED


def test_rewards_are_listed_read_only(admin_client_verified, campaign, sharer, buy):
    buy(email="friend@example.jp")
    reward = ShareReward.objects.get(sharer=sharer)
    listing = admin_client_verified.get("/admin/share_rewards/sharereward/?status__exact=pending")
    assert listing.status_code == 200
    assert str(sharer) in listing.content.decode()
    assert admin_client_verified.get("/admin/share_rewards/sharereward/add/").status_code == 403
    detail = admin_client_verified.get(f"/admin/share_rewards/sharereward/{reward.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()


def test_a_campaign_must_end_after_it_starts(admin_client_verified):
    day = timezone.localtime().strftime("%Y-%m-%d")
    response = admin_client_verified.post(
        "/admin/share_rewards/sharecampaign/add/",
        {
            "name": "逆さま",
            "starts_at_0": day,
            "starts_at_1": "12:00:00",
            "ends_at_0": day,
            "ends_at_1": "11:00:00",
            "daily_cap": 5,
            "network_window_hours": 24,
            "network_max_accounts": 3,
            "tiers-TOTAL_FORMS": 0,
            "tiers-INITIAL_FORMS": 0,
            "tiers-MIN_NUM_FORMS": 0,
            "tiers-MAX_NUM_FORMS": 1000,
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["ends_at"]
    assert not ShareCampaign.objects.filter(name="逆さま").exists()
