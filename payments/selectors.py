from dataclasses import dataclass

from django.utils import timezone

from loyalty.selectors.points import points_balance
from shop.core.money import Money
from shop.orders.models import Cart, Order, ShippingMethod
from shop.orders.selectors import cart_view
from shop.orders.services import shipping_quote

from .models import PaymentSettings
from .pricing import Pricing, checkout_pricing
from .services import payment_method_fees


@dataclass
class CheckoutPreview:
    cart: object
    method: ShippingMethod
    pricing: Pricing
    shipping_fee: Money
    payment_fee: Money
    coupon_discount: Money
    points: int
    total: Money
    date_min: object
    date_max: object
    free_shipping_gap: Money | None


def checkout_preview(
    *,
    cart: Cart | None,
    shipping_method_id: int,
    prefecture: str,
    payment_method: str,
    user=None,
    coupon_code: str = "",
    points: int = 0,
) -> CheckoutPreview | None:
    """What the order will cost, computed the same way placing it will (the totals are computed again then)."""
    view = cart_view(cart=cart)
    method = ShippingMethod.objects.filter(pk=shipping_method_id, is_active=True).first()
    if not view.lines or method is None:
        return None
    subtotal = view.total.amount
    quote = shipping_quote(method=method, subtotal=subtotal, prefecture=prefecture, today=timezone.localdate())
    pricing = checkout_pricing(
        subtotal=subtotal,
        method=method,
        prefecture=prefecture,
        payment_method=payment_method,
        user=user,
        coupon_code=coupon_code,
        points=points,
        payment_fees=payment_method_fees(total_before_fee=subtotal + quote.fee),
        lines=[
            (line.variant.product_id, line.variant.product.category_id, line.subtotal.amount) for line in view.lines
        ],
    )
    gap = None
    if not pricing.free_shipping and method.free_over is not None and subtotal < method.free_over:
        gap = Money(method.free_over - subtotal)
    return CheckoutPreview(
        cart=view,
        method=method,
        pricing=pricing,
        shipping_fee=Money(pricing.shipping_fee),
        payment_fee=Money(pricing.payment_fee),
        coupon_discount=Money(pricing.coupon_discount),
        points=pricing.points,
        total=Money(pricing.total),
        date_min=quote.date_min,
        date_max=quote.date_max,
        free_shipping_gap=gap,
    )


@dataclass(frozen=True)
class ShippingOption:
    method: ShippingMethod
    fee: Money
    date_min: object
    date_max: object


def shipping_options(*, subtotal: int, prefecture: str = "") -> list[ShippingOption]:
    today = timezone.localdate()
    options = []
    for method in ShippingMethod.objects.filter(is_active=True):
        quote = shipping_quote(method=method, subtotal=subtotal, prefecture=prefecture, today=today)
        options.append(ShippingOption(method, Money(quote.fee), quote.date_min, quote.date_max))
    return options


def bank_details() -> PaymentSettings:
    return PaymentSettings.load()


def order_payments(*, order: Order):
    return list(order.payments.all().order_by("created_at"))


def points_available(*, user) -> int | None:
    """The member's usable points for the review page; None for guests."""
    if user is None or not user.is_authenticated:
        return None
    return points_balance(user=user).available
