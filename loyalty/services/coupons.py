"""Coupons at checkout and personal coupons.

A coupon on an order is a `CouponRedemption`: HELD while the order waits for payment, USED once it is paid,
RELEASED when it is cancelled (so the use is given back). HELD and USED rows count towards the limits, and they
are counted while the coupon's row is locked, so a single-use coupon sent from many tabs at once is held once.
"""

import calendar
import datetime
import logging
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.orders.models import Order, OrderLine

from ..exceptions import CouponError
from ..models import Coupon, CouponRedemption, LoyaltySettings
from ..selectors.coupons import (
    CouponLine,
    coupon_code_normalise,
    coupon_eligible_total,
    coupon_find,
    coupon_item_discount,
    coupon_problem,
    coupon_unknown_message,
)

logger = logging.getLogger(__name__)

# Letters and digits that cannot be mistaken for one another when read aloud or typed from a phone screen.
_SUFFIX_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_SUFFIX_LENGTH = 6
_CODE_MAX = Coupon._meta.get_field("code").max_length


@dataclass(frozen=True)
class CouponQuote:
    coupon: Coupon
    discount: int  # yen off the items
    free_shipping: bool  # the checkout sets the shipping fee to 0


def _unknown(code: str) -> CouponError:
    return CouponError(coupon_unknown_message(code))


def coupon_quote(
    *, code: str, user, items_total: int, shipping_fee: int, lines: list[CouponLine] | None = None
) -> CouponQuote:
    """What the coupon would take off items costing items_total; raises CouponError saying why it cannot be used.
    lines [(product id, category id, amount)] are needed for a coupon limited to some items (the discount is then
    taken on the matching lines only).

    Reads only: the limits are checked again under a lock when the order is placed (`coupon_hold_for_order`).
    """
    code = coupon_code_normalise(code)
    coupon = coupon_find(code=code, user=user)
    if coupon is None:
        raise _unknown(code)
    problem = coupon_problem(coupon=coupon, user=user, items_total=items_total, lines=lines)
    if problem:
        raise CouponError(problem)
    eligible = coupon_eligible_total(coupon=coupon, items_total=items_total, lines=lines)
    return CouponQuote(
        coupon=coupon,
        discount=coupon_item_discount(coupon=coupon, items_total=eligible),
        free_shipping=coupon.kind == Coupon.Kind.FREE_SHIPPING,
    )


def _order_coupon_lines(order: Order) -> list[CouponLine]:
    return [
        (product_id, category_id, unit_price * quantity)
        for product_id, category_id, unit_price, quantity in OrderLine.objects.filter(
            order=order, variant__isnull=False
        ).values_list("variant__product_id", "variant__product__category_id", "unit_price", "quantity")
    ]


def coupon_hold_for_order(*, code: str, order: Order, user) -> CouponRedemption:
    """Holds the coupon for an unpaid order, inside the checkout's transaction; raises CouponError (the caller's
    transaction then rolls the order back).

    The amount is the discount on order.subtotal; for free shipping it is order.shipping_fee (0 when the order was
    placed with free shipping already). Holding again for the same order returns the same row.
    """
    code = coupon_code_normalise(code)
    with transaction.atomic():
        # Every checkout of this coupon queues here; the counts below then see every committed hold.
        coupon = Coupon.objects.select_for_update().filter(code=code).first()
        if coupon is None or coupon_find(code=code, user=user) is None:
            raise _unknown(code)
        existing = CouponRedemption.objects.filter(order=order).first()
        if existing is not None:
            if existing.coupon_id == coupon.pk and existing.status != CouponRedemption.Status.RELEASED:
                return existing  # the same checkout sent twice
            raise CouponError(_("This order already has a coupon."))
        lines = _order_coupon_lines(order)
        problem = coupon_problem(
            coupon=coupon,
            user=user,
            items_total=order.subtotal,
            email=order.email,
            exclude_order_id=order.pk,
            lines=lines,
        )
        if problem:
            raise CouponError(problem)
        if coupon.kind == Coupon.Kind.FREE_SHIPPING:
            amount = order.shipping_fee
        else:
            eligible = coupon_eligible_total(coupon=coupon, items_total=order.subtotal, lines=lines)
            amount = coupon_item_discount(coupon=coupon, items_total=eligible)
        return CouponRedemption.objects.create(
            coupon=coupon,
            order=order,
            user=user if user is not None and user.is_authenticated else None,
            email=order.email,
            amount=amount,
            status=CouponRedemption.Status.HELD,
        )


def _set_status(*, order_id: int, old: str, new: str) -> bool:
    with transaction.atomic():
        redemption = CouponRedemption.objects.select_for_update().filter(order_id=order_id).first()
        if redemption is None or redemption.status != old:
            return False
        redemption.status = new
        redemption.save(update_fields=["status", "updated_at"])
    return True


def coupon_use_for_order(*, order_id: int) -> bool:
    """The order was paid: its held coupon is used. True if it changed (a second call changes nothing)."""
    return _set_status(order_id=order_id, old=CouponRedemption.Status.HELD, new=CouponRedemption.Status.USED)


def coupon_release_for_order(*, order_id: int) -> bool:
    """The unpaid order was cancelled (or its payment failed and it was cancelled): the use is given back."""
    return _set_status(order_id=order_id, old=CouponRedemption.Status.HELD, new=CouponRedemption.Status.RELEASED)


def _personal_code(template: Coupon) -> str:
    suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _i in range(_SUFFIX_LENGTH))
    return f"{template.code[: _CODE_MAX - _SUFFIX_LENGTH - 1]}-{suffix}"


def coupon_issue_personal(
    *, template: Coupon, user, issue_key: str, valid_until: datetime.datetime | None = None
) -> Coupon | None:
    """A single-use copy of template for one member, once per issue_key ("welcome", "birthday:2026"); None if
    this member already got one for that key."""
    with transaction.atomic():
        if Coupon.objects.filter(owner=user, issue_key=issue_key).exists():
            return None
        for _attempt in range(5):
            copy = Coupon(
                code=_personal_code(template),
                name=template.name,
                description=template.description,
                kind=template.kind,
                value=template.value,
                max_discount=template.max_discount,
                min_subtotal=template.min_subtotal,
                valid_from=template.valid_from,
                valid_until=valid_until or template.valid_until,
                max_uses=1,
                max_uses_per_user=1,
                channel=template.channel,
                members_only=template.members_only,
                owner=user,
                template=template,
                issue_key=issue_key,
                is_active=True,
            )
            try:
                with transaction.atomic():
                    copy.save()
            except IntegrityError:
                # Issued at the same moment by another worker, or (rarely) the random code was taken: try again.
                if Coupon.objects.filter(owner=user, issue_key=issue_key).exists():
                    return None
                continue
            copy.ranks.set(template.ranks.all())
            copy.products.set(template.products.all())
            copy.categories.set(template.categories.all())
            logger.info("coupon %s issued to user %s for %s", copy.code, user.pk, issue_key)
            return copy
    raise RuntimeError("Could not find a free coupon code")


def _members():
    return get_user_model().objects.filter(is_active=True, anonymised_at__isnull=True)


def coupon_issue_welcome(*, user_id: int) -> Coupon | None:
    """The welcome coupon for a member who followed the shop; once per member ever (unfollowing and following again
    gives nothing). None if there is no welcome coupon set or the member already has it."""
    template = LoyaltySettings.load().welcome_coupon
    user = _members().filter(pk=user_id).first()
    if template is None or user is None:
        return None
    return coupon_issue_personal(template=template, user=user, issue_key="welcome")


def coupons_issue_birthday(*, today: datetime.date | None = None) -> int:
    """A birthday coupon, valid to the end of the month, for every member born in today's month (Tokyo time).
    Safe to run any day of the month and more than once: the key is the year. Returns how many were issued."""
    tz = timezone.get_default_timezone()
    today = today or timezone.localdate(timezone=tz)
    template = LoyaltySettings.load().birthday_coupon
    if template is None:
        return 0
    issue_key = f"birthday:{today.year}"
    last_day = calendar.monthrange(today.year, today.month)[1]
    valid_until = datetime.datetime(today.year, today.month, last_day, 23, 59, 59, tzinfo=tz)
    members = _members().filter(birth_month=today.month).exclude(personal_coupons__issue_key=issue_key)
    issued = 0
    for user in members.order_by("pk").iterator():
        if coupon_issue_personal(template=template, user=user, issue_key=issue_key, valid_until=valid_until):
            issued += 1
    return issued
