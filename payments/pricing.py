"""What an order costs before it is placed: items, shipping (free by rank or coupon), coupon, points, payment fee.

The review page shows this; placing the order computes the same figures again under locks (the coupon and the
points are checked once more there), so nothing the browser sends is trusted.
"""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty.exceptions import CouponError
from loyalty.models import Coupon, LoyaltySettings
from loyalty.selectors.points import points_redeemable
from loyalty.services.coupons import coupon_quote
from loyalty.services.ranks import rank_free_shipping
from shop.orders.models import ShippingMethod
from shop.orders.services import shipping_quote

# Stripe's smallest JPY charge: a card order must cost at least this much, or nothing at all.
CARD_MINIMUM = 50


@dataclass(frozen=True)
class Pricing:
    subtotal: int
    shipping_fee: int
    free_shipping: bool  # by the member's rank or the coupon
    coupon: Coupon | None
    coupon_discount: int
    points: int
    points_max: int
    payment_fee: int
    total: int
    coupon_error: str = ""
    points_error: str = ""

    @property
    def error(self) -> str:
        return self.coupon_error or self.points_error

    @property
    def total_before_fee(self) -> int:
        return self.total - self.payment_fee


def checkout_pricing(
    *,
    subtotal: int,
    method: ShippingMethod,
    prefecture: str,
    payment_method: str,
    user=None,
    coupon_code: str = "",
    points: int = 0,
    payment_fees: dict[str, int] | None = None,
    lines: list[tuple[int, int, int]] | None = None,
) -> Pricing:
    """The order's figures with the coupon and points asked for; a coupon or points that cannot be used are left
    out and the reason is given in coupon_error / points_error (in the shopper's language). lines are the cart's
    (product id, category id, amount), for coupons limited to some items."""
    member = user is not None and user.is_authenticated
    free = member and rank_free_shipping(user=user)
    shipping = shipping_quote(
        method=method, subtotal=subtotal, prefecture=prefecture, today=timezone.localdate(), free=free
    ).fee
    coupon, coupon_discount, coupon_error = None, 0, ""
    if coupon_code:
        try:
            quote = coupon_quote(code=coupon_code, user=user, items_total=subtotal, shipping_fee=shipping, lines=lines)
        except CouponError as error:
            coupon_error = str(error)
        else:
            coupon, coupon_discount = quote.coupon, quote.discount
            if quote.free_shipping:
                free, shipping = True, 0
    points_max = points_redeemable(user=user, items_total=subtotal - coupon_discount) if member else 0
    used, points_error = 0, ""
    if points:
        if not member:
            points_error = _("Please sign in to use points.")
        elif points < 0 or points > points_max:
            points_error = _("You can use up to %(max)s points on this order.") % {"max": f"{points_max:,}"}
        elif points < (redeem_min := LoyaltySettings.load().redeem_min):
            points_error = _("Please use at least %(min)s points.") % {"min": f"{redeem_min:,}"}
        else:
            used = points
    fee = (payment_fees or {}).get(payment_method, 0)
    total = subtotal + shipping + fee - coupon_discount - used
    if payment_method == "card" and 0 < total < CARD_MINIMUM and used:
        points_error = _(
            "A card payment must be at least ¥%(min)s: please use fewer points, or enough to pay the whole order."
        ) % {"min": CARD_MINIMUM}
        total += used
        used = 0
    return Pricing(
        subtotal=subtotal,
        shipping_fee=shipping,
        free_shipping=free,
        coupon=coupon,
        coupon_discount=coupon_discount,
        points=used,
        points_max=points_max,
        payment_fee=fee,
        total=total,
        coupon_error=coupon_error,
        points_error=points_error,
    )
