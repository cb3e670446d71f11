"""Catch-up for order events whose task was never queued (the broker was down when the order changed).

Each step calls the same idempotent service the event's task calls, so running this while the tasks also run, or
twice, changes nothing more. It looks back a few days only: older events were caught by earlier runs.
"""

import datetime

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from shop.orders.models import Order

from ..models import CouponRedemption, PointEntry
from . import coupons, points, ranks

LOOK_BACK = datetime.timedelta(days=3)


def loyalty_catch_up(*, now: datetime.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    since = now - LOOK_BACK
    done = {"earned": 0, "coupons_used": 0, "coupons_released": 0, "points_returned": 0, "refunds_checked": 0}
    recent = Order.objects.filter(updated_at__gte=since)

    earn_entry = PointEntry.objects.filter(order=OuterRef("pk"), kind=PointEntry.Kind.ORDER)
    unearned = recent.filter(user__isnull=False, paid_at__isnull=False).exclude(status=Order.Status.CANCELLED)
    for order_id in unearned.filter(~Exists(earn_entry)).values_list("pk", flat=True):
        if points.points_award_for_order(order_id=order_id, now=now) is not None:
            done["earned"] += 1
            ranks.rank_recompute_for_order(order_id=order_id)

    held = CouponRedemption.objects.filter(status=CouponRedemption.Status.HELD, order__updated_at__gte=since)
    for order_id in held.filter(order__paid_at__isnull=False).values_list("order_id", flat=True):
        done["coupons_used"] += bool(coupons.coupon_use_for_order(order_id=order_id))
    for order_id in held.filter(order__status=Order.Status.CANCELLED).values_list("order_id", flat=True):
        done["coupons_released"] += bool(coupons.coupon_release_for_order(order_id=order_id))

    returned = PointEntry.objects.filter(order=OuterRef("pk"), kind=PointEntry.Kind.REDEMPTION_RETURN)
    cancelled = recent.filter(status=Order.Status.CANCELLED, points_used__gt=0).filter(~Exists(returned))
    for order_id in cancelled.values_list("pk", flat=True):
        points.points_return_for_order(order_id=order_id, now=now)
        done["points_returned"] += 1

    refunded = recent.filter(Q(refunded_amount__gt=0), user__isnull=False)
    for order_id in refunded.filter(Exists(earn_entry)).values_list("pk", flat=True):
        points.points_reverse_for_order(order_id=order_id, now=now)  # idempotent: writes only what is missing
        done["refunds_checked"] += 1
    return done
