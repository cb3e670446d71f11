from dataclasses import dataclass

from django.utils import timezone

from shop.core.money import Money
from shop.orders.models import Cart, Order, ShippingMethod
from shop.orders.selectors import cart_view
from shop.orders.services import shipping_quote

from .models import PaymentSettings
from .services import payment_method_options


@dataclass
class CheckoutPreview:
    cart: object
    method: ShippingMethod
    shipping_fee: Money
    payment_fee: Money
    total: Money
    date_min: object
    date_max: object
    free_shipping_gap: Money | None


def checkout_preview(
    *, cart: Cart | None, shipping_method_id: int, prefecture: str, payment_method: str
) -> CheckoutPreview | None:
    """What the order will cost, computed the same way placing it will (the totals are computed again then)."""
    view = cart_view(cart=cart)
    method = ShippingMethod.objects.filter(pk=shipping_method_id, is_active=True).first()
    if not view.lines or method is None:
        return None
    subtotal = view.total.amount
    quote = shipping_quote(method=method, subtotal=subtotal, prefecture=prefecture, today=timezone.localdate())
    options = {o.code: o for o in payment_method_options(total_before_fee=subtotal + quote.fee)}
    fee = options[payment_method].fee if payment_method in options else 0
    gap = None
    if method.free_over is not None and subtotal < method.free_over:
        gap = Money(method.free_over - subtotal)
    return CheckoutPreview(
        cart=view,
        method=method,
        shipping_fee=Money(quote.fee),
        payment_fee=Money(fee),
        total=Money(subtotal + quote.fee + fee),
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
