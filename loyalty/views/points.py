from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from ..models import LoyaltySettings, Rank
from ..selectors.points import points_balance, points_history, rank_progress

HISTORY_PAGE_SIZE = 20


def _plain(value) -> str:
    """1.00 -> "1", 1.50 -> "1.5" (rates and multipliers as people write them)."""
    return format(Decimal(value).normalize(), "f")


def _multiplier(rank) -> str:
    return _plain(Decimal(rank.earn_multiplier_percent) / 100)


@login_required
def my_points(request):
    rank, next_rank, spend, needed = rank_progress(user=request.user)
    page = Paginator(points_history(user=request.user), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    progress_percent = 100
    if next_rank is not None and next_rank.min_spend:
        progress_percent = min(100, spend * 100 // next_rank.min_spend)
    return render(
        request,
        "loyalty/points.html",
        {
            "account_section": "points",
            "balance": points_balance(user=request.user),
            "rank": rank,
            "rank_multiplier": _multiplier(rank) if rank else "1",
            "next_rank": next_rank,
            "spend": spend,
            "needed": needed,
            "progress_percent": progress_percent,
            "page": page,
            "now": timezone.now(),
            "loyalty": LoyaltySettings.load(),
        },
    )


def rules(request):
    loyalty = LoyaltySettings.load()
    return render(
        request,
        "loyalty/rules.html",
        {
            "loyalty": loyalty,
            "earn_rate": _plain(loyalty.earn_rate_percent),
            "ranks": [(rank, _multiplier(rank)) for rank in Rank.objects.order_by("min_spend")],
            # earn_rate_percent is points per ¥100; a ¥10,000 example makes it concrete.
            "example_points": int(10_000 * loyalty.earn_rate_percent) // 100,
        },
    )
