"""Reads for prize draws: whether a member meets the entry rule, the public page, winners' masked names, and the
check that a draw's recorded seed gives its recorded winners."""

import datetime
import hashlib
import random

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from shop.orders.models import Order
from shop.reviews.models import Review
from social.models import Follow

from .models import Draw, DrawAudit, DrawEntry, DrawWinner

NOT_BOUGHT = [Order.Status.PENDING_PAYMENT, Order.Status.CANCELLED, Order.Status.REFUNDED]
METHOD = "random.Random(int(seed)).sample(entry ids in ascending order, min(winners, entries))"


def draws_public() -> QuerySet[Draw]:
    return Draw.objects.filter(status__in=[Draw.Status.PUBLISHED, Draw.Status.DRAWN])


def draw_public_get(*, slug: str) -> Draw | None:
    return draws_public().filter(slug=slug).first()


def draw_is_open(*, draw: Draw, now: datetime.datetime) -> bool:
    return draw.status == Draw.Status.PUBLISHED and draw.starts_at <= now <= draw.ends_at


def draw_rule_met(*, draw: Draw, user, now: datetime.datetime) -> bool:
    """Whether the member has done what the rule asks, within the draw's period where the rule has one."""
    until = min(now, draw.ends_at)
    if draw.rule == Draw.Rule.PURCHASE:
        orders = Order.objects.filter(
            user=user, paid_at__isnull=False, paid_at__gte=draw.starts_at, paid_at__lte=until
        ).exclude(status__in=NOT_BOUGHT)
        product_ids = list(draw.products.values_list("pk", flat=True))
        if product_ids:
            orders = orders.filter(lines__variant__product_id__in=product_ids)
        return orders.exists()
    if draw.rule == Draw.Rule.REVIEW:
        return Review.objects.filter(
            user=user, status=Review.Status.PUBLISHED, created_at__gte=draw.starts_at, created_at__lte=until
        ).exists()
    if draw.rule == Draw.Rule.FOLLOW:
        return Follow.objects.filter(follower=user, followee__isnull=True).exists()
    return True


def draw_rule_unmet_message(*, draw: Draw) -> str:
    if draw.rule == Draw.Rule.PURCHASE:
        if draw.products.exists():
            return _("To enter, place and pay for an order with one of the products of this draw during the draw.")
        return _("To enter, place and pay for an order during the draw.")
    if draw.rule == Draw.Rule.REVIEW:
        return _("To enter, write a review of a product during the draw (it counts once it is published).")
    if draw.rule == Draw.Rule.FOLLOW:
        return _("To enter, follow the shop first.")
    return ""


def draw_entry_of(*, draw: Draw, user) -> DrawEntry | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return DrawEntry.objects.filter(draw=draw, user=user).first()


def masked_name(user) -> str:
    """A winner as the public result shows them: half of the display name (at most 4 characters) then ***; a
    member without a display name is never shown by e-mail address."""
    name = (getattr(user, "display_name", "") or "").strip()
    if not name or getattr(user, "anonymised_at", None):
        return _("Member") + " ***"
    keep = min(4, max(1, len(name) // 2))
    return name[:keep].rstrip() + "***"


def draw_winners_public(*, draw: Draw) -> list[str]:
    if draw.status != Draw.Status.DRAWN:
        return []
    winners = DrawWinner.objects.filter(draw=draw).select_related("user").order_by("position")
    return [masked_name(winner.user) for winner in winners]


def entry_ids_hash(entry_ids: list[int]) -> str:
    return hashlib.sha256(",".join(str(pk) for pk in entry_ids).encode()).hexdigest()


def winners_from_seed(*, entry_ids: list[int], seed: int, count: int) -> list[int]:
    """The draw itself: entries in ascending id order, random.Random(seed).sample without replacement, so the same
    seed and entries always give the same winners and nobody (one entry per member) wins twice."""
    ordered = sorted(entry_ids)
    return random.Random(seed).sample(ordered, min(count, len(ordered)))


def draw_audit_verify(*, audit: DrawAudit) -> bool:
    """Repeats the draw from the audit record and today's entries: True if it gives the recorded winners."""
    entry_ids = list(DrawEntry.objects.filter(draw_id=audit.draw_id).order_by("id").values_list("id", flat=True))
    if entry_ids_hash(entry_ids) != audit.entry_ids_hash:
        return False
    drawn = winners_from_seed(entry_ids=entry_ids, seed=int(audit.seed), count=len(audit.winner_entry_ids))
    return drawn == audit.winner_entry_ids
