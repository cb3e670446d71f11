"""Writes of the points ledger: earning, redeeming, reversing, expiring and staff adjustments.

Every write locks the member's PointAccount row first, so one member's entries are written one at a time (their id
order is the order of events) and a check of the balance still holds when the entry is written. Entries are only
ever added. Each has a unique source key naming its event, so running any of these again changes nothing.

Points owed: a reversal larger than the usable balance (the points were already spent) is written in full, with
a positive "points owed" entry for the part the balance could not cover, so the balance stays at zero or more and
the ledger still shows the whole reversal. PointAccount.shortfall is the sum of those and of the negative entries
that take the owed points from later awards; it is taken from the next points the member earns.
"""

import datetime
import uuid

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shop.notifications.services import notification_enqueue
from shop.orders.emails import day_label, order_language, site_url
from shop.orders.models import Order
from shop.reviews.models import Review

from ..exceptions import PointsError
from ..models import CouponRedemption, LoyaltySettings, PointAccount, PointEntry
from ..selectors.points import (
    OWED_SUFFIX,
    PENDING_SUFFIX,
    SHORTFALL_SUFFIX,
    expiry_key,
    order_earn_key,
    order_redeem_key,
    order_redeem_return_key,
    order_reversal_prefix,
    points_available_sum,
    points_entries,
    points_lots,
    points_redeemable,
    rank_for_spend,
    rank_spend,
)

Kind = PointEntry.Kind


def _lock_account(user_id: int) -> PointAccount:
    PointAccount.objects.get_or_create(user_id=user_id)
    return PointAccount.objects.select_for_update().get(user_id=user_id)


def _entry(key: str) -> PointEntry | None:
    return PointEntry.objects.filter(source_key=key).first()


def _write(*, account: PointAccount, amount: int, kind: str, key: str, available_at, **fields) -> PointEntry | None:
    """One new entry, or None if its source key was used already."""
    entry, created = PointEntry.objects.get_or_create(
        source_key=key,
        defaults={"user_id": account.user_id, "amount": amount, "kind": kind, "available_at": available_at, **fields},
    )
    return entry if created else None


def _award(
    *,
    account: PointAccount,
    amount: int,
    kind: str,
    key: str,
    available_at: datetime.datetime,
    expires_at: datetime.datetime | None = None,
    order=None,
    note: str = "",
    created_by=None,
) -> PointEntry | None:
    """Adds points (usable from available_at) and takes any points owed from them at once."""
    if expires_at is None:
        expires_at = available_at + datetime.timedelta(days=LoyaltySettings.load().expiry_days)
    entry = _write(
        account=account,
        amount=amount,
        kind=kind,
        key=key,
        available_at=available_at,
        expires_at=expires_at,
        order=order,
        note=note[:200],
        created_by=created_by,
    )
    if entry is not None and account.shortfall > 0:
        taken = min(amount, account.shortfall)
        # Same usable-from time as the award: while the award is pending, so is the part taken from it.
        _write(
            account=account,
            amount=-taken,
            kind=Kind.SHORTFALL,
            key=key + SHORTFALL_SUFFIX,
            available_at=available_at,
            order=order,
        )
        account.shortfall -= taken
        account.save(update_fields=["shortfall"])
    return entry


def _expire_due(*, account: PointAccount, now: datetime.datetime) -> list[PointEntry]:
    """Writes the expiry of what is left of every lot whose expiry has passed."""
    written = []
    for lot in points_lots(entries=points_entries(user_id=account.user_id)):
        if lot.expirable and lot.remaining > 0 and lot.entry.expires_at <= now:
            entry = _write(
                account=account, amount=-lot.remaining, kind=Kind.EXPIRY, key=expiry_key(lot.entry.pk), available_at=now
            )
            if entry is not None:
                written.append(entry)
    return written


def _take(
    *, account: PointAccount, amount: int, kind: str, key: str, now: datetime.datetime, order=None, note: str = ""
) -> None:
    """Takes points back (a reversal); what the usable balance cannot cover becomes points owed."""
    owed = amount - max(points_available_sum(user_id=account.user_id, now=now), 0)
    # Written first: the reversal takes from the member's real points first, this entry covers the rest.
    if owed > 0 and _write(
        account=account, amount=owed, kind=Kind.SHORTFALL, key=key + OWED_SUFFIX, available_at=now, order=order
    ):
        account.shortfall += owed
        account.save(update_fields=["shortfall"])
    _write(account=account, amount=-amount, kind=kind, key=key, available_at=now, order=order, note=note)


# --- Generic award (share rewards, surveys) -----------------------------------------------------------------------


def points_award(
    *,
    user,
    amount: int,
    kind: str,
    source_key: str,
    order=None,
    available_at: datetime.datetime | None = None,
    expires_at: datetime.datetime | None = None,
    note: str = "",
    created_by=None,
    now: datetime.datetime | None = None,
) -> PointEntry | None:
    """Gives points once per source_key (None if that key was used already). Points owed are taken from them."""
    if amount <= 0:
        raise ValueError("points_award needs a positive amount")
    with transaction.atomic():
        account = _lock_account(user.pk)
        if _entry(source_key) is not None:
            return None
        return _award(
            account=account,
            amount=amount,
            kind=kind,
            key=source_key,
            available_at=available_at or now or timezone.now(),
            expires_at=expires_at,
            order=order,
            note=note,
            created_by=created_by,
        )


# --- Orders -------------------------------------------------------------------------------------------------------


def points_for_order(*, order: Order, multiplier_percent: int) -> int:
    """The items' price after discounts (not shipping or fees) x the earn rate x the rank multiplier, rounded down."""
    base = max(order.subtotal - order.discount, 0)
    rate_hundredths = int(LoyaltySettings.load().earn_rate_percent * 100)
    return base * rate_hundredths * multiplier_percent // 1_000_000


def points_award_for_order(*, order_id: int, now: datetime.datetime | None = None) -> PointEntry | None:
    """Points for a member's paid order, usable once the return window has passed."""
    now = now or timezone.now()
    order = Order.objects.select_related("user").get(pk=order_id)
    if order.user is None or order.paid_at is None or order.status == Order.Status.CANCELLED:
        return None
    # The rank the member had when paying (spend before this order), whenever this runs.
    rank = rank_for_spend(
        spend=rank_spend(user_id=order.user_id, now=order.paid_at - datetime.timedelta(microseconds=1))
    )
    amount = points_for_order(order=order, multiplier_percent=rank.earn_multiplier_percent if rank else 100)
    if amount <= 0:
        return None
    settings = LoyaltySettings.load()
    available_at = order.paid_at + datetime.timedelta(days=settings.return_window_days)
    with transaction.atomic():
        account = _lock_account(order.user_id)
        if _entry(order_earn_key(order.pk)) is not None:
            return None
        order.refresh_from_db(fields=["refunded_amount"])  # a refund may have been recorded meanwhile
        entry = _award(
            account=account,
            amount=amount,
            kind=Kind.ORDER,
            key=order_earn_key(order.pk),
            available_at=available_at,
            order=order,
            note=order.number,
        )
        if order.refunded_amount:
            # The refund was handled before these points existed (tasks may run in any order).
            _reverse_earn(account=account, order=order, now=now)
        elif entry is not None:
            _points_earned_notice(order=order, entry=entry, now=now)
    return entry


def _points_earned_notice(*, order: Order, entry: PointEntry, now: datetime.datetime) -> None:
    language = order_language(order)
    with translation.override(language):
        usable_from = day_label(timezone.localdate(entry.available_at))
    notification_enqueue(
        kind="points_earned",
        user=order.user,
        context={
            "language": language,
            "points": f"{entry.amount:,}",
            "usable_from": usable_from,
            "order_number": order.number,
            "points_url": site_url(reverse("loyalty:points")),
        },
        dedupe_key=f"points_earned:{order.pk}",
        source=f"order:{order.number}",
        now=now,
    )


def _reverse_earn(*, account: PointAccount, order: Order, now: datetime.datetime) -> None:
    earn = _entry(order_earn_key(order.pk))
    if earn is None or order.total <= 0:
        return
    target = earn.amount * min(order.refunded_amount, order.total) // order.total
    reversed_already = -(
        PointEntry.objects.filter(source_key__startswith=order_reversal_prefix(order.pk), kind=Kind.REVERSAL).aggregate(
            total=Sum("amount")
        )["total"]
        or 0
    )
    due = target - reversed_already
    if due <= 0:
        return
    key = f"{order_reversal_prefix(order.pk)}{order.refunded_amount}"
    _expire_due(account=account, now=now)
    if earn.available_at > now:
        lot = next(lot for lot in points_lots(entries=points_entries(user_id=account.user_id)) if lot.entry == earn)
        pending = min(due, lot.remaining)
        if pending:
            # Pending with the points it reverses, so the pending balance nets out and nothing usable is touched.
            _write(
                account=account,
                amount=-pending,
                kind=Kind.REVERSAL,
                key=key + PENDING_SUFFIX,
                available_at=earn.available_at,
                order=order,
                note=order.number,
            )
            due -= pending
    if due:
        _take(account=account, amount=due, kind=Kind.REVERSAL, key=key, now=now, order=order, note=order.number)


def _return_redemption(*, order: Order, now: datetime.datetime) -> PointEntry | None:
    redemption = _entry(order_redeem_key(order.pk))
    if redemption is None:
        return None
    account = _lock_account(redemption.user_id)
    if _entry(order_redeem_return_key(order.pk)) is not None:
        return None
    return _award(
        account=account,
        amount=-redemption.amount,
        kind=Kind.REDEMPTION_RETURN,
        key=order_redeem_return_key(order.pk),
        available_at=now,
        order=order,
        note=order.number,
    )


def points_reverse_for_order(*, order_id: int, now: datetime.datetime | None = None) -> None:
    """A refund takes back the order's points in proportion to the money refunded (counted over all its refunds);
    a full refund also gives back the points used on the order."""
    now = now or timezone.now()
    order = Order.objects.get(pk=order_id)
    with transaction.atomic():
        if order.total > 0 and order.refunded_amount >= order.total:
            _return_redemption(order=order, now=now)
        earn = _entry(order_earn_key(order.pk))
        if earn is not None:
            account = _lock_account(earn.user_id)
            order.refresh_from_db(fields=["refunded_amount"])  # the latest refund, read under the lock
            _reverse_earn(account=account, order=order, now=now)


def points_return_for_order(*, order_id: int, now: datetime.datetime | None = None) -> None:
    """A cancelled order gives back the points used on it."""
    order = Order.objects.get(pk=order_id)
    if order.status != Order.Status.CANCELLED:
        return
    with transaction.atomic():
        _return_redemption(order=order, now=now or timezone.now())


def points_redeem_for_order(*, user, order: Order, points: int, now: datetime.datetime | None = None) -> int:
    """Uses points on an order being placed (call inside the checkout's transaction). Returns the points used."""
    if not points:
        return 0
    if user is None or not user.is_authenticated:
        raise PointsError(_("Sign in to use your points."))
    if points < 0:
        raise PointsError(_("Enter the number of points as 0 or more."))
    if order.user_id is not None and order.user_id != user.pk:
        raise PointsError(_("Points can only be used on your own order."))
    now = now or timezone.now()
    settings = LoyaltySettings.load()
    with transaction.atomic():
        account = _lock_account(user.pk)
        used = _entry(order_redeem_key(order.pk))
        if used is not None:
            if -used.amount == points:
                return points
            raise PointsError(_("Points have already been used on this order."))
        _expire_due(account=account, now=now)
        if points < settings.redeem_min:
            raise PointsError(_("You can use %(min)s points or more at a time.") % {"min": f"{settings.redeem_min:,}"})
        available = points_available_sum(user_id=user.pk, now=now)
        if points > available:
            raise PointsError(_("You have %(available)s points available.") % {"available": f"{available:,}"})
        coupon = CouponRedemption.objects.filter(order=order).exclude(status=CouponRedemption.Status.RELEASED).first()
        items_total = order.subtotal - (coupon.amount if coupon else 0)
        most = points_redeemable(user=user, items_total=items_total, now=now)
        if points > most:
            raise PointsError(_("You can use up to %(max)s points on this order.") % {"max": f"{most:,}"})
        _write(
            account=account,
            amount=-points,
            kind=Kind.REDEMPTION,
            key=order_redeem_key(order.pk),
            available_at=now,
            order=order,
            note=order.number,
        )
    return points


# --- Reviews ------------------------------------------------------------------------------------------------------


def _review_keys(review_id: int) -> tuple[str, str, str]:
    return f"review:{review_id}", f"review:{review_id}:photo", f"review:{review_id}:reversal"


def points_award_for_review(*, review_id: int, now: datetime.datetime | None = None) -> PointEntry | None:
    """Points for a published review (more with a photo; a photo added later tops them up). Once a review's points
    were reversed it earns nothing again."""
    review = Review.objects.filter(pk=review_id).first()
    if review is None or review.status != Review.Status.PUBLISHED:
        return None
    now = now or timezone.now()
    settings = LoyaltySettings.load()
    has_photo = review.photos.exists()
    base_key, photo_key, reversal_key = _review_keys(review.pk)
    with transaction.atomic():
        account = _lock_account(review.user_id)
        if _entry(reversal_key) is not None:
            return None
        base = _entry(base_key)
        if base is None:
            amount = settings.review_photo_points if has_photo else settings.review_points
            key = base_key
        else:
            amount = settings.review_photo_points - base.amount if has_photo else 0
            key = photo_key
        if amount <= 0 or _entry(key) is not None:
            return None
        return _award(account=account, amount=amount, kind=Kind.REVIEW, key=key, available_at=now, note=review.title)


def points_reverse_for_review(*, review_id: int, now: datetime.datetime | None = None) -> None:
    """A review no longer shown loses the points it earned (those that have not expired)."""
    if Review.objects.filter(pk=review_id, status=Review.Status.PUBLISHED).exists():
        return
    now = now or timezone.now()
    base_key, photo_key, reversal_key = _review_keys(review_id)
    awards = list(PointEntry.objects.filter(source_key__in=[base_key, photo_key]))
    if not awards:
        return
    with transaction.atomic():
        account = _lock_account(awards[0].user_id)
        if _entry(reversal_key) is not None:
            return
        _expire_due(account=account, now=now)
        expired = PointEntry.objects.filter(source_key__in=[expiry_key(award.pk) for award in awards])
        amount = sum(award.amount for award in awards) + sum(entry.amount for entry in expired)
        if amount > 0:
            _take(account=account, amount=amount, kind=Kind.REVERSAL, key=reversal_key, now=now)


# --- Staff --------------------------------------------------------------------------------------------------------


def points_adjust(
    *, user, amount: int, reason: str, actor, key: str | None = None, now: datetime.datetime | None = None
) -> PointEntry:
    """Staff add (amount > 0) or take (amount < 0) points with a reason; never below a zero balance.

    key (e.g. from the admin form) makes a resubmitted form return the first entry instead of adjusting twice."""
    reason = (reason or "").strip()
    if not reason:
        raise PointsError(_("Enter the reason for the adjustment."))
    if not amount:
        raise PointsError(_("Enter a number of points other than 0."))
    now = now or timezone.now()
    source_key = f"adjustment:{key or uuid.uuid4().hex}"
    with transaction.atomic():
        account = _lock_account(user.pk)
        existing = _entry(source_key)
        if existing is not None:
            return existing
        if amount > 0:
            return _award(
                account=account,
                amount=amount,
                kind=Kind.ADJUSTMENT,
                key=source_key,
                available_at=now,
                note=reason,
                created_by=actor,
            )
        _expire_due(account=account, now=now)
        available = points_available_sum(user_id=user.pk, now=now)
        if -amount > available:
            raise PointsError(
                _("The balance cannot go below zero: only %(available)s points are available.")
                % {"available": f"{available:,}"}
            )
        return _write(
            account=account,
            amount=amount,
            kind=Kind.ADJUSTMENT,
            key=source_key,
            available_at=now,
            note=reason[:200],
            created_by=actor,
        )


# --- Expiry -------------------------------------------------------------------------------------------------------


def _lots_expired_by(now: datetime.datetime):
    return PointEntry.objects.filter(amount__gt=0, expires_at__lte=now).exclude(kind=Kind.SHORTFALL)


def points_expire(*, now: datetime.datetime | None = None) -> int:
    """Writes the expiry of every lot past its expiry date with points left. Returns the number of entries written."""
    now = now or timezone.now()
    user_ids = set(_lots_expired_by(now).values_list("user_id", flat=True).distinct())
    # Members with nothing usable have nothing left to expire (their old lots were all spent).
    with_points = (
        PointEntry.objects.filter(user_id__in=user_ids, available_at__lte=now)
        .values("user_id")
        .annotate(total=Sum("amount"))
        .filter(total__gt=0)
        .values_list("user_id", flat=True)
    )
    written = 0
    for user_id in sorted(with_points):
        with transaction.atomic():
            written += len(_expire_due(account=_lock_account(user_id), now=now))
    return written


def send_expiry_notice(*, user, points: int, expires_on: datetime.date) -> None:
    """Tells a member their points will expire, through the notifications outbox: once per member and date, in
    the language of their last order."""
    last_order = Order.objects.filter(user=user).order_by("-created_at").first()
    language = order_language(last_order) if last_order else django_settings.LANGUAGE_CODE
    with translation.override(language):
        expires = day_label(expires_on)
    notification_enqueue(
        kind="points_expiring",
        user=user,
        context={
            "language": language,
            "points": f"{points:,}",
            "expires_on": expires,
            "points_url": site_url(reverse("loyalty:points")),
        },
        dedupe_key=f"points_expiring:{user.pk}:{expires_on.isoformat()}",
    )


def points_expiry_notices_due(*, now: datetime.datetime | None = None) -> int:
    """Tells members whose points expire within the notice period, once per expiry date. Returns the number told."""
    now = now or timezone.now()
    horizon = now + datetime.timedelta(days=LoyaltySettings.load().expiry_notice_days)
    user_ids = (
        PointEntry.objects.filter(amount__gt=0, expires_at__gt=now, expires_at__lte=horizon)
        .exclude(kind=Kind.SHORTFALL)
        .values_list("user_id", flat=True)
        .distinct()
    )
    sent = 0
    for user_id in sorted(set(user_ids)):
        with transaction.atomic():
            account = _lock_account(user_id)
            if account.user.anonymised_at is not None or not account.user.is_active:
                continue
            lots = [
                lot
                for lot in points_lots(entries=points_entries(user_id=user_id))
                if lot.expirable and lot.remaining > 0 and now < lot.entry.expires_at <= horizon
            ]
            if not lots:
                continue
            expires_on = min(timezone.localdate(lot.entry.expires_at) for lot in lots)
            if account.expiry_notice_sent_for == expires_on:
                continue
            points = sum(lot.remaining for lot in lots if timezone.localdate(lot.entry.expires_at) == expires_on)
            send_expiry_notice(user=account.user, points=points, expires_on=expires_on)
            account.expiry_notice_sent_for = expires_on
            account.save(update_fields=["expiry_notice_sent_for"])
            sent += 1
    return sent
