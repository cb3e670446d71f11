"""Member ranks: worked out from spend over the rank period, stored on the PointAccount, every change recorded."""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shop.notifications.services import notification_enqueue
from shop.orders.emails import order_language, site_url
from shop.orders.models import Order

from ..models import LoyaltySettings, PointAccount, Rank, RankChange
from ..selectors.points import rank_current, rank_for_spend, rank_spend


def rank_recompute(*, user_id: int, now: datetime.datetime | None = None) -> RankChange | None:
    """Sets the member's rank from their spend; returns the change recorded, or None if the rank stayed."""
    now = now or timezone.now()
    with transaction.atomic():
        PointAccount.objects.get_or_create(user_id=user_id)
        account = PointAccount.objects.select_for_update().get(user_id=user_id)
        spend = rank_spend(user_id=user_id, now=now)
        rank = rank_for_spend(spend=spend)
        old = account.rank
        first_time = account.rank_updated_at is None
        account.rank = rank
        account.rank_spend = spend
        account.rank_updated_at = now
        account.save(update_fields=["rank", "rank_spend", "rank_updated_at"])
        if (old.pk if old else None) == (rank.pk if rank else None):
            return None
        if first_time and (rank is None or rank.min_spend == 0):
            # A member's first look at their rank: starting at the entry rank is not a change for them.
            return None
        change = RankChange.objects.create(user_id=user_id, old_rank=old, new_rank=rank, spend=spend)
        if rank is not None and (old is None or rank.min_spend > old.min_spend):
            _rank_up_notice(change=change, rank=rank, now=now)
        return change


def _rank_up_notice(*, change: RankChange, rank: Rank, now: datetime.datetime) -> None:
    """Congratulate the member on a higher rank and say what it brings (a lower rank is not announced)."""
    last_order = Order.objects.filter(user_id=change.user_id).order_by("-created_at").first()
    language = order_language(last_order) if last_order else settings.LANGUAGE_CODE
    with translation.override(language):
        benefits = []
        if rank.earn_multiplier_percent != 100:
            multiplier = f"{rank.earn_multiplier_percent / 100:g}"
            benefits.append(_("%(times)s times the usual points on every order") % {"times": multiplier})
        if rank.free_shipping:
            benefits.append(_("Free shipping on every order"))
        if rank.description:
            benefits.append(rank.description)
    notification_enqueue(
        kind="rank_up",
        user=change.user,
        context={
            "language": language,
            "rank_name": rank.name,
            "benefits": benefits,
            "points_url": site_url(reverse("loyalty:points")),
        },
        dedupe_key=f"rank_up:{change.pk}",
        now=now,
    )


def rank_recompute_for_order(*, order_id: int) -> RankChange | None:
    user_id = Order.objects.filter(pk=order_id).values_list("user_id", flat=True).first()
    return rank_recompute(user_id=user_id) if user_id else None


def ranks_recompute_all(*, now: datetime.datetime | None = None) -> int:
    """Every member with a rank or spend to recompute (spend leaves the period day by day). Returns the changes."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=LoyaltySettings.load().rank_period_days)
    ranked = PointAccount.objects.filter(Q(rank__min_spend__gt=0) | Q(rank_spend__gt=0)).values_list(
        "user_id", flat=True
    )
    buyers = Order.objects.filter(user__isnull=False, paid_at__gt=since).values_list("user_id", flat=True)
    user_ids = sorted(set(ranked) | set(buyers))
    return sum(1 for user_id in user_ids if rank_recompute(user_id=user_id, now=now) is not None)


def rank_free_shipping(*, user) -> bool:
    rank = rank_current(user=user)
    return bool(rank and rank.free_shipping)
