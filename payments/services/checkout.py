"""Placing the order: the payment methods offered with their fee and terms (stock hold, due date), the order placed
with the coupon and points, and another method chosen while the order is unpaid."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from loyalty.exceptions import LoyaltyError
from loyalty.services.coupons import coupon_hold_for_order
from loyalty.services.points import points_redeem_for_order
from shop.orders import services as order_services
from shop.orders.exceptions import CheckoutError
from shop.orders.models import Cart, Order, ShippingMethod

from .. import gateway
from ..emails import order_confirmation_enqueue
from ..models import Payment, PaymentSettings
from ..pricing import CARD_MINIMUM, checkout_pricing
from .manual import manual_payment_open

Method = Order.PaymentMethod


@dataclass(frozen=True)
class MethodOption:
    code: str
    label: str
    fee: int
    available: bool
    note: str = ""


def payment_method_options(*, total_before_fee: int) -> list[MethodOption]:
    config = PaymentSettings.load()
    options = []
    if config.card_enabled:
        options.append(MethodOption(Method.CARD, Method.CARD.label, 0, gateway.is_configured()))
    if config.bank_transfer_enabled:
        options.append(
            MethodOption(
                Method.BANK_TRANSFER,
                Method.BANK_TRANSFER.label,
                0,
                True,
                _("Please transfer within %(days)d days. Transfer fees are paid by the customer.")
                % {"days": config.bank_transfer_days},
            )
        )
    if config.cod_enabled:
        options.append(
            MethodOption(
                Method.COD,
                Method.COD.label,
                config.cod_fee,
                total_before_fee + config.cod_fee <= config.cod_max_total,
                _("Pay the driver in cash on delivery."),
            )
        )
    return options


def payment_method_fees(*, total_before_fee: int) -> dict[str, int]:
    return {option.code: option.fee for option in payment_method_options(total_before_fee=total_before_fee)}


@dataclass(frozen=True)
class MethodTerms:
    fee: int
    reserved_until: datetime.datetime | None
    payment_due: datetime.date | None
    status: str


def _method_terms(*, method: str, total_before_fee: int, config: PaymentSettings) -> MethodTerms:
    now = timezone.now()
    options = {option.code: option for option in payment_method_options(total_before_fee=total_before_fee)}
    option = options.get(method)
    if option is None or not option.available:
        raise CheckoutError(_("This payment method is not available for this order."))
    if method == Method.CARD:
        return MethodTerms(
            0, now + datetime.timedelta(minutes=config.card_hold_minutes), None, Order.Status.PENDING_PAYMENT
        )
    if method == Method.BANK_TRANSFER:
        due = timezone.localdate() + datetime.timedelta(days=config.bank_transfer_days)
        # Stock is held until the end of the due date (Tokyo time).
        end_of_due = timezone.make_aware(datetime.datetime.combine(due, datetime.time(23, 59, 59)))
        return MethodTerms(0, end_of_due, due, Order.Status.PENDING_PAYMENT)
    return MethodTerms(config.cod_fee, None, None, Order.Status.PROCESSING)


def checkout_place_order(
    *,
    cart: Cart,
    checkout_token,
    details: order_services.CheckoutDetails,
    user=None,
    coupon_code: str = "",
    points: int = 0,
) -> Order:
    """Place the order with the chosen payment method's fee and stock hold, the coupon and the points; card
    payment follows on the next page. A coupon or points that can no longer be used stop the order (nothing is
    written) with the reason, so the shopper sees the price they agreed to or none."""
    config = PaymentSettings.load()
    cart_lines = list(cart.lines.select_related("variant__product"))
    subtotal = sum(line.variant.price * line.quantity for line in cart_lines)
    coupon_lines = [
        (line.variant.product_id, line.variant.product.category_id, line.variant.price * line.quantity)
        for line in cart_lines
    ]
    method = ShippingMethod.objects.filter(pk=details.shipping_method_id, is_active=True).first()
    if method is None:
        raise CheckoutError(_("Please choose a shipping method."))
    base_shipping = order_services.shipping_quote(
        method=method, subtotal=subtotal, prefecture=details.prefecture, today=timezone.localdate()
    ).fee
    pricing = checkout_pricing(
        subtotal=subtotal,
        method=method,
        prefecture=details.prefecture,
        payment_method=details.payment_method,
        user=user,
        coupon_code=coupon_code,
        points=points,
        payment_fees=payment_method_fees(total_before_fee=subtotal + base_shipping),
        lines=coupon_lines,
    )
    if pricing.error:
        raise CheckoutError(pricing.error)
    terms = _method_terms(method=details.payment_method, total_before_fee=pricing.total_before_fee, config=config)
    try:
        with transaction.atomic():
            # Checkouts of one cart queue here, so the same form sent twice finds the order the first one placed.
            Cart.objects.select_for_update().filter(pk=cart.pk).first()
            existing = Order.objects.filter(checkout_token=checkout_token).first()
            if existing is not None:
                return existing
            order = order_services.order_place_from_cart(
                cart=cart,
                checkout_token=checkout_token,
                details=details,
                user=user,
                payment_fee=terms.fee,
                reserved_until=terms.reserved_until,
                payment_due=terms.payment_due,
                initial_status=terms.status,
                free_shipping=pricing.free_shipping,
            )
            if pricing.coupon is not None:
                held = coupon_hold_for_order(code=coupon_code, order=order, user=user)
                order = order_services.order_apply_discount(
                    order_id=order.pk, coupon_code=held.coupon.code, coupon_discount=held.amount, points_used=0
                )
            if pricing.points:
                used = points_redeem_for_order(user=user, order=order, points=pricing.points)
                order = order_services.order_apply_discount(
                    order_id=order.pk,
                    coupon_code=order.coupon_code,
                    coupon_discount=order.discount,
                    points_used=used,
                )
            if order.payment_method == Method.CARD and 0 < order.total < CARD_MINIMUM:
                raise CheckoutError(pricing.points_error or _("A card payment must be at least ¥50."))
            if order.total == 0:
                order_services.order_mark_paid(
                    order_id=order.pk, actor=user, note=gettext_noop("Paid in full with points and a coupon")
                )
                order.refresh_from_db()
            else:
                manual_payment_open(order)
    except LoyaltyError as error:
        raise CheckoutError(str(error)) from error
    return order


def payment_method_switch(*, order_id: int, method: str, actor=None) -> Order:
    """Pay an unpaid order another way (e.g. bank transfer after a declined card)."""
    config = PaymentSettings.load()
    order = Order.objects.get(pk=order_id)
    terms = _method_terms(
        method=method, total_before_fee=order.subtotal + order.shipping_fee - order.discount, config=config
    )
    with transaction.atomic():
        order = order_services.order_change_payment_method(
            order_id=order_id,
            payment_method=method,
            payment_fee=terms.fee,
            reserved_until=terms.reserved_until,
            payment_due=terms.payment_due,
            status=Order.Status.PENDING_PAYMENT,
            actor=actor,
        )
        Payment.objects.filter(order=order, status=Payment.Status.PENDING, stripe_payment_intent=None).exclude(
            method=method
        ).update(status=Payment.Status.CANCELLED)
        manual_payment_open(order)
    if method == Method.COD:
        order_services.order_mark_processing(order_id=order.pk, actor=actor)
    # Now that it is a bank transfer / COD order, the confirmation (with the bank details) is due. Written to the
    # outbox straight away, as the order_placed receiver does: through a task, a broker that is down turned the
    # committed switch into a 500 and left the confirmation to the catch-up job.
    order_confirmation_enqueue(order_id=order.pk)
    return order
