"""Reads of coupons: finding a code, whether a member may use a coupon (and the reason if not), how it is shown.

The checks live here so the checkout (through `loyalty.services.coupons`) and the "my coupons" page give the
same answer in the same words.
"""

import datetime
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from shop.catalog.models import Category
from shop.core.money import Money
from shop.notifications.models import LineLink

from ..models import Coupon, CouponRedemption, LoyaltySettings, Rank
from .campaigns import segment_users
from .points import rank_current

COUNTED = (CouponRedemption.Status.HELD, CouponRedemption.Status.USED)

# A cart or order line as a coupon sees it: (product id, category id, amount in yen).
CouponLine = tuple[int, int, int]


class CouponRow(NamedTuple):
    coupon: Coupon
    usable: bool
    why_not: str


@dataclass(frozen=True)
class CouponTerms:
    """What the shopper is told about a coupon, ready for a page."""

    discount: str
    minimum: Money | None
    valid_from: str
    valid_until: str
    conditions: list[str]


def coupon_code_normalise(code: str) -> str:
    """Full-width input and stray spaces are accepted: "ｗｅｌｃｏｍｅ１０ " -> "WELCOME10"."""
    return unicodedata.normalize("NFKC", code or "").strip().upper()


def coupon_date(value: datetime.datetime) -> str:
    """Japanese style, in the shop's time zone: "2026年4月1日 10:00"."""
    return dateformat.format(timezone.localtime(value, timezone.get_default_timezone()), "Y年n月j日 H:i")


def coupon_unknown_message(code: str) -> str:
    if not code:
        return _("Please enter a coupon code.")
    return _("“%(code)s” is not a valid coupon code. Please check it and try again.") % {"code": code}


def _member(user):
    return user if user is not None and user.is_authenticated else None


def _line_linked(user) -> bool:
    """A member counts as LINE-linked when messages can reach them on LINE: linked by LINE Login or by sending the
    link code to the official account (shop.notifications keeps the link; segments use the same rule)."""
    return LineLink.objects.filter(user=user).exists()


def _in_any_segment(user, segments) -> bool:
    return any(segment_users(segment=segment).filter(pk=user.pk).exists() for segment in segments)


def _rank_names(ranks) -> str:
    return " / ".join(rank.name for rank in ranks)


@dataclass
class _Who:
    """The shopper a coupon is checked for: a member, or a guest known only by the order's e-mail."""

    user: object | None
    email: str = ""

    @cached_property
    def rank(self) -> Rank | None:
        return rank_current(user=self.user) if self.user is not None else None

    @cached_property
    def line_linked(self) -> bool:
        return self.user is not None and _line_linked(self.user)

    def redemptions(self):
        """This shopper's uses: by account, and by e-mail so a member cannot reuse a coupon as a guest."""
        who = Q()
        if self.user is not None:
            who |= Q(user=self.user)
            if self.user.email:
                who |= Q(email__iexact=self.user.email)
        if self.email:
            who |= Q(email__iexact=self.email)
        if not who:
            return CouponRedemption.objects.none()
        return CouponRedemption.objects.filter(who)


def coupon_find(*, code: str, user) -> Coupon | None:
    """The active coupon with this code that the shopper may see; someone else's personal coupon is not found."""
    code = coupon_code_normalise(code)
    if not code:
        return None
    coupon = Coupon.objects.filter(code=code, is_active=True).prefetch_related("ranks", "segments").first()
    member = _member(user)
    if coupon is not None and coupon.owner_id is not None and member is not None and coupon.owner_id != member.pk:
        return None
    return coupon


def _problem(
    coupon: Coupon,
    who: _Who,
    *,
    items_total: int | None,
    now: datetime.datetime,
    used_total: int,
    used_by_shopper: int,
) -> str:
    """The first reason the shopper cannot use the coupon now ("" if they can). Permanent reasons come first,
    the minimum purchase (which the shopper can fix) last."""
    if coupon.valid_from is not None and coupon.valid_from > now:
        return _("This coupon can be used from %(date)s.") % {"date": coupon_date(coupon.valid_from)}
    if coupon.valid_until is not None and coupon.valid_until <= now:
        return _("This coupon expired on %(date)s.") % {"date": coupon_date(coupon.valid_until)}
    ranks = list(coupon.ranks.all())
    needs_member = coupon.members_only or coupon.owner_id is not None or ranks or coupon.channel
    if who.user is None and needs_member:
        return _("This coupon is for members only. Please log in to use it.")
    if coupon.owner_id is not None and coupon.owner_id != who.user.pk:
        return coupon_unknown_message(coupon.code)
    if ranks and (who.rank is None or who.rank.pk not in {rank.pk for rank in ranks}):
        return _("This coupon is only for members of the rank %(ranks)s.") % {"ranks": _rank_names(ranks)}
    segments = list(coupon.segments.all())
    if segments and (who.user is None or not _in_any_segment(who.user, segments)):
        return (
            _("This coupon is only for selected members.")
            if who.user
            else _("This coupon is for members only. Please log in to use it.")
        )
    if coupon.channel == Coupon.Channel.LINE and not who.line_linked:
        return _(
            "This coupon is only for members who have linked their LINE account. "
            "Link it on your notification settings page, then try again."
        )
    if coupon.max_uses is not None and used_total >= coupon.max_uses:
        return _("Sorry, this coupon has reached its limit of uses.")
    if coupon.max_uses_per_user is not None and used_by_shopper >= coupon.max_uses_per_user:
        return _("You have already used this coupon.")
    if items_total is not None and items_total < coupon.min_subtotal:
        return _("Spend %(more)s more to use this coupon (minimum purchase %(minimum)s).") % {
            "more": Money(coupon.min_subtotal - items_total).format(),
            "minimum": Money(coupon.min_subtotal).format(),
        }
    return ""


def coupon_restriction(coupon: Coupon) -> tuple[set[int], set[int]] | None:
    """The coupon's "only these items": (product ids, category ids with their sub-categories), or None when it
    applies to the whole order."""
    product_ids = {product.pk for product in coupon.products.all()}
    category_ids = {category.pk for category in coupon.categories.all()}
    if not product_ids and not category_ids:
        return None
    if category_ids:
        category_ids |= set(Category.objects.filter(parent_id__in=category_ids).values_list("pk", flat=True))
    return product_ids, category_ids


def coupon_eligible_total(*, coupon: Coupon, items_total: int, lines: list[CouponLine] | None) -> int:
    """What the discount is taken on: the whole items_total, or for a coupon limited to some items the matching
    lines only (no lines given: nothing matches, so a limited coupon is never applied to a whole order by mistake)."""
    restriction = coupon_restriction(coupon)
    if restriction is None:
        return items_total
    product_ids, category_ids = restriction
    return sum(
        amount
        for product_id, category_id, amount in lines or ()
        if product_id in product_ids or category_id in category_ids
    )


def coupon_problem(
    *,
    coupon: Coupon,
    user,
    items_total: int | None,
    email: str = "",
    exclude_order_id: int | None = None,
    now: datetime.datetime | None = None,
    lines: list[CouponLine] | None = None,
) -> str:
    """Why the shopper (a member, or a guest by e-mail) cannot use the coupon on items costing items_total ("" if
    they can). items_total None skips the minimum purchase. Uses held for unpaid orders count as uses. A coupon
    limited to some items also needs one of them among lines (the cart's or the order's)."""
    who = _Who(user=_member(user), email=email)
    counted = CouponRedemption.objects.filter(coupon=coupon, status__in=COUNTED)
    if exclude_order_id is not None:
        counted = counted.exclude(order_id=exclude_order_id)
    used_total = counted.count() if coupon.max_uses is not None else 0
    used_by_shopper = 0
    if coupon.max_uses_per_user is not None:
        used_by_shopper = counted.filter(pk__in=who.redemptions().values("pk")).count()
    problem = _problem(
        coupon,
        who,
        items_total=items_total,
        now=now or timezone.now(),
        used_total=used_total,
        used_by_shopper=used_by_shopper,
    )
    if not problem and items_total is not None and coupon_restriction(coupon) is not None:
        if not coupon_eligible_total(coupon=coupon, items_total=0, lines=lines):
            problem = _("This coupon is only for certain items, and none of them is in your cart.")
    return problem


def coupon_item_discount(*, coupon: Coupon, items_total: int) -> int:
    """Yen off the items: percent rounded down (and capped), a fixed amount never more than the items cost."""
    if coupon.kind == Coupon.Kind.PERCENT:
        discount = items_total * coupon.value // 100
        if coupon.max_discount is not None:
            discount = min(discount, coupon.max_discount)
        return discount
    if coupon.kind == Coupon.Kind.FIXED:
        return min(coupon.value, items_total)
    return 0


def coupon_discount_label(coupon: Coupon) -> str:
    if coupon.kind == Coupon.Kind.PERCENT:
        if coupon.max_discount is not None:
            return _("%(percent)d%% off (up to %(cap)s)") % {
                "percent": coupon.value,
                "cap": Money(coupon.max_discount).format(),
            }
        return _("%(percent)d%% off") % {"percent": coupon.value}
    if coupon.kind == Coupon.Kind.FIXED:
        return _("%(amount)s off") % {"amount": Money(coupon.value).format()}
    return _("Free shipping")


def coupon_terms(coupon: Coupon) -> CouponTerms:
    """Discount, minimum, validity and conditions in the shopper's words (wherever a coupon is shown)."""
    conditions = []
    ranks = list(coupon.ranks.all())
    if coupon.owner_id is not None:
        conditions.append(_("Only for you"))
    elif coupon.members_only:
        conditions.append(_("Members only"))
    if ranks:
        conditions.append(_("Ranks: %(ranks)s") % {"ranks": _rank_names(ranks)})
    if coupon.channel == Coupon.Channel.LINE:
        conditions.append(_("LINE-linked members only"))
    if coupon.max_uses_per_user is not None:
        conditions.append(_("Up to %(count)d use(s) per member") % {"count": coupon.max_uses_per_user})
    if coupon.max_uses is not None and coupon.owner_id is None:
        conditions.append(_("Until %(count)d uses in total are reached") % {"count": coupon.max_uses})
    return CouponTerms(
        discount=coupon_discount_label(coupon),
        minimum=Money(coupon.min_subtotal) if coupon.min_subtotal else None,
        valid_from=coupon_date(coupon.valid_from) if coupon.valid_from else "",
        valid_until=coupon_date(coupon.valid_until) if coupon.valid_until else "",
        conditions=conditions,
    )


def _candidates(user):
    """The member's personal coupons and the shared coupons they could be offered, with use counts."""
    who = _Who(user=user)
    templates = {
        pk
        for pk in LoyaltySettings.objects.values_list("welcome_coupon_id", "birthday_coupon_id").first() or ()
        if pk is not None
    }
    mine = who.redemptions().filter(status__in=COUNTED)
    is_template = Exists(Coupon.objects.filter(template=OuterRef("pk")))
    # Shared codes that ended long ago matter only to the members who used them.
    running_or_mine = (
        Q(valid_until__isnull=True) | Q(valid_until__gt=timezone.now()) | Exists(mine.filter(coupon=OuterRef("pk")))
    )
    listed_or_mine = Q(is_listed=True) | Exists(mine.filter(coupon=OuterRef("pk")))
    shared = Q(owner=None, is_active=True) & ~Q(pk__in=templates) & running_or_mine & listed_or_mine
    return (
        Coupon.objects.filter(Q(owner=user) | shared)
        .annotate(
            used_total=Count("redemptions", filter=Q(redemptions__status__in=COUNTED), distinct=True),
            used_by_me=Count("redemptions", filter=Q(redemptions__in=mine), distinct=True),
            is_template=is_template,
        )
        .exclude(Q(owner=None) & Q(is_template=True))
        .prefetch_related("ranks", "segments")
        .order_by("valid_until", "-created_at")
    ), who


def _finished_reason(coupon: Coupon, now: datetime.datetime) -> str:
    """Why a coupon is over for this member for good ("" if it is not)."""
    if coupon.max_uses_per_user is not None and coupon.used_by_me >= coupon.max_uses_per_user:
        return _("Used")
    if coupon.valid_until is not None and coupon.valid_until <= now:
        return _("Expired on %(date)s") % {"date": coupon_date(coupon.valid_until)}
    if coupon.max_uses is not None and coupon.used_total >= coupon.max_uses:
        return _("All uses of this coupon have been taken")
    if not coupon.is_active:
        return _("No longer available")
    return ""


def _rows(user, *, finished: bool) -> list[CouponRow]:
    member = _member(user)
    if member is None:
        return []
    now = timezone.now()
    coupons, who = _candidates(member)
    rows = []
    for coupon in coupons:
        over = _finished_reason(coupon, now)
        if bool(over) != finished:
            continue
        if finished:
            # A shared coupon is history only for members who used it.
            if coupon.owner_id is not None or coupon.used_by_me:
                rows.append(CouponRow(coupon=coupon, usable=False, why_not=over))
            continue
        problem = _problem(
            coupon, who, items_total=None, now=now, used_total=coupon.used_total, used_by_shopper=coupon.used_by_me
        )
        # Shared codes are offered only to members who may use them (or soon may: not yet valid).
        upcoming = coupon.valid_from is not None and coupon.valid_from > now
        if coupon.owner_id is None and problem and not upcoming:
            continue
        rows.append(CouponRow(coupon=coupon, usable=not problem, why_not=problem))
    return rows


def coupons_for_user(*, user) -> list[CouponRow]:
    """Coupons the member has now: their personal ones and the shared ones they may use, each with whether it can
    be used now and why not (not yet valid, rank, LINE link). The minimum purchase is not checked here."""
    return _rows(user, finished=False)


def coupons_past_for_user(*, user) -> list[CouponRow]:
    """The member's coupons that are over: expired, used, used up or withdrawn (why_not says which)."""
    return _rows(user, finished=True)
