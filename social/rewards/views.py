from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from loyalty.models import LoyaltySettings

from . import selectors


@login_required
def my_share_rewards(request):
    now = timezone.now()
    return render(
        request,
        "share_rewards/mine.html",
        {
            "progress": selectors.share_rewards_for_sharer(user=request.user, now=now),
            "running": selectors.share_campaigns_running(now=now),
            "account_section": "share_rewards",
        },
    )


def campaign_detail(request, campaign_id: int):
    campaign = selectors.share_campaign_public(campaign_id=campaign_id)
    if campaign is None:
        raise Http404
    products, categories = selectors.campaign_scope(campaign=campaign)
    now = timezone.now()
    return render(
        request,
        "share_rewards/campaign.html",
        {
            "campaign": campaign,
            "tiers": list(campaign.tiers.all()),
            "products": products,
            "categories": categories,
            "is_running": campaign.starts_at <= now <= campaign.ends_at,
            "has_ended": campaign.ends_at < now,
            "return_window_days": LoyaltySettings.load().return_window_days,
        },
    )
