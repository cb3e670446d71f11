"""Reads of the points ledger and of member ranks.

The ledger is replayed in id order (every write happens under the member's account lock, so id order is the order
things happened) to find what is left of each positive entry ("lot"): consumption (redemptions, reversals of
usable points, staff deductions) takes from the usable lots that expire first; expiry entries, points-owed entries
and reversals of points still pending take from the one lot they name in their source key.
"""

import datetime
from dataclasses import dataclass

from django.db.models import F, Sum
from django.utils import timezone

from shop.orders.models import Order

from ..models import LoyaltySettings, PointAccount, PointEntry, Rank

Kind = PointEntry.Kind

# Source keys. Each names the event an entry comes from; the unique constraint makes every event count once.
SHORTFALL_SUFFIX = ":shortfall"  # the points owed taken from the award whose key comes before it
OWED_SUFFIX = ":owed"  # points owed recorded when a reversal is larger than the usable balance
PENDING_SUFFIX = ":pending"  # a reversal of an order's points while they are still pending


def order_earn_key(order_id: int) -> str:
    return f"order:{order_id}:earn"


def order_redeem_key(order_id: int) -> str:
    return f"order:{order_id}:redeem"


def order_redeem_return_key(order_id: int) -> str:
    return f"order:{order_id}:redeem-return"


def order_reversal_prefix(order_id: int) -> str:
    return f"order:{order_id}:reversal:"


def expiry_key(entry_id: int) -> str:
    return f"expiry:{entry_id}"


@dataclass
class Lot:
    entry: PointEntry
    remaining: int

    @property
    def expirable(self) -> bool:
        # Points-owed entries only balance a reversal in the same transaction; they are never spent or expired.
        return self.entry.kind != Kind.SHORTFALL and self.entry.expires_at is not None


@dataclass(frozen=True)
class PointsBalance:
    available: int
    pending: int
    expiring: int
    expiring_on: datetime.date | None
    shortfall: int


def _fifo(lot: Lot):
    entry = lot.entry
    return (entry.expires_at is None, entry.expires_at or entry.available_at, entry.pk)


def _target(entry: PointEntry, by_id: dict[int, Lot], by_key: dict[str, Lot]) -> Lot | None:
    """The one lot an entry takes from, if its key names one."""
    key = entry.source_key
    if entry.kind == Kind.EXPIRY and key.startswith("expiry:"):
        return by_id.get(int(key.removeprefix("expiry:")))
    if entry.kind == Kind.SHORTFALL and key.endswith(SHORTFALL_SUFFIX):
        return by_key.get(key.removesuffix(SHORTFALL_SUFFIX))
    if entry.kind == Kind.REVERSAL and key.endswith(PENDING_SUFFIX):
        return by_key.get(order_earn_key(int(key.split(":")[1])))
    return None


def points_lots(*, entries: list[PointEntry]) -> list[Lot]:
    """What is left of each positive entry of one member's ledger (`entries` in id order)."""
    lots: list[Lot] = []
    by_id: dict[int, Lot] = {}
    by_key: dict[str, Lot] = {}
    for entry in entries:
        if entry.amount > 0:
            lot = Lot(entry=entry, remaining=entry.amount)
            lots.append(lot)
            by_id[entry.pk] = lot
            by_key[entry.source_key] = lot
            continue
        need = -entry.amount
        target = _target(entry, by_id, by_key)
        if target is not None:
            taken = min(need, target.remaining)
            target.remaining -= taken
            need -= taken
        if need:
            usable = [lot for lot in lots if lot.remaining > 0 and lot.entry.available_at <= entry.available_at]
            for lot in sorted(usable, key=_fifo):
                taken = min(need, lot.remaining)
                lot.remaining -= taken
                need -= taken
                if not need:
                    break
    return lots


def points_entries(*, user_id: int) -> list[PointEntry]:
    return list(PointEntry.objects.filter(user_id=user_id).order_by("pk"))


def points_available_sum(*, user_id: int, now: datetime.datetime) -> int:
    """The usable balance as the ledger has it (points past their expiry count until the expiry entry is written)."""
    total = PointEntry.objects.filter(user_id=user_id, available_at__lte=now).aggregate(total=Sum("amount"))["total"]
    return total or 0


def points_balance(*, user, now: datetime.datetime | None = None) -> PointsBalance:
    """Usable and pending points, the next points to expire (and when), and points owed."""
    if user is None or not user.is_authenticated:
        return PointsBalance(available=0, pending=0, expiring=0, expiring_on=None, shortfall=0)
    now = now or timezone.now()
    entries = points_entries(user_id=user.pk)
    lots = points_lots(entries=entries)
    available = sum(entry.amount for entry in entries if entry.available_at <= now)
    pending = sum(entry.amount for entry in entries if entry.available_at > now)
    # Points whose expiry passed before tonight's job has written it are not usable any more.
    available -= sum(lot.remaining for lot in lots if lot.expirable and lot.entry.expires_at <= now)
    upcoming = [
        lot
        for lot in lots
        if lot.expirable and lot.remaining > 0 and lot.entry.available_at <= now < lot.entry.expires_at
    ]
    expiring, expiring_on = 0, None
    if upcoming:
        expiring_on = min(timezone.localdate(lot.entry.expires_at) for lot in upcoming)
        expiring = sum(lot.remaining for lot in upcoming if timezone.localdate(lot.entry.expires_at) == expiring_on)
    shortfall = PointAccount.objects.filter(user=user).values_list("shortfall", flat=True).first() or 0
    return PointsBalance(
        available=available, pending=pending, expiring=expiring, expiring_on=expiring_on, shortfall=shortfall
    )


def points_redeemable(*, user, items_total: int, now: datetime.datetime | None = None) -> int:
    """The most points this member may use on an order whose items cost items_total (after the coupon); 0 if that
    is below the smallest number of points that can be used at once."""
    settings = LoyaltySettings.load()
    limit = max(items_total, 0) * settings.redeem_max_percent // 100
    most = min(points_balance(user=user, now=now).available, limit)
    return most if most >= max(settings.redeem_min, 1) else 0


def points_history(*, user):
    """The member's ledger, newest first."""
    return PointEntry.objects.filter(user=user).select_related("order").order_by("-created_at", "-id")


# --- Ranks --------------------------------------------------------------------------------------------------------


def rank_spend(*, user_id: int, now: datetime.datetime | None = None) -> int:
    """What the member paid (less refunds) for orders paid within the rank period."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=LoyaltySettings.load().rank_period_days)
    total = (
        Order.objects.filter(user_id=user_id, paid_at__gt=since, paid_at__lte=now)
        .exclude(status=Order.Status.CANCELLED)
        .aggregate(total=Sum(F("total") - F("refunded_amount")))["total"]
    )
    return max(total or 0, 0)


def rank_for_spend(*, spend: int) -> Rank | None:
    return Rank.objects.filter(min_spend__lte=spend).order_by("-min_spend").first()


def rank_current(*, user) -> Rank | None:
    """The member's rank: as last recomputed, or worked out now for a member whose rank was never computed."""
    if user is None or not user.is_authenticated:
        return None
    account = PointAccount.objects.filter(user=user).select_related("rank").first()
    if account is not None and account.rank_updated_at is not None:
        return account.rank
    return rank_for_spend(spend=rank_spend(user_id=user.pk))


def rank_progress(*, user) -> tuple[Rank | None, Rank | None, int, int]:
    """(rank, next rank or None, spend counted now, spend still needed for the next rank)."""
    rank = rank_current(user=user)
    spend = rank_spend(user_id=user.pk)
    higher = Rank.objects.order_by("min_spend")
    if rank is not None:
        higher = higher.filter(min_spend__gt=rank.min_spend)
    next_rank = higher.first()
    needed = max(next_rank.min_spend - spend, 0) if next_rank is not None else 0
    return rank, next_rank, spend, needed
