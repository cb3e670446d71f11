import datetime
import logging
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from shop.catalog.models import Variant
from shop.catalog.services import product_sync_from_variants
from shop.core.jp import REMOTE_PREFECTURES

from .. import signals
from ..exceptions import CheckoutError, OrderStateError
from ..hooks import purchase_problems
from ..models import Cart, CartLine, Order, OrderEvent, OrderLine, ShippingMethod

Status = Order.Status
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckoutDetails:
    email: str
    name: str
    postal_code: str
    prefecture: str
    city: str
    street: str
    building: str
    phone: str
    shipping_method_id: int
    payment_method: str
    language: str = "ja"


@dataclass(frozen=True)
class ShippingQuote:
    fee: int
    date_min: datetime.date
    date_max: datetime.date


def shipping_quote(
    *, method: ShippingMethod, subtotal: int, prefecture: str, today: datetime.date, free: bool = False
) -> ShippingQuote:
    """Fee (free at or above the method's threshold, or when a coupon or rank says so) and the delivery window,
    a little later to remote areas."""
    fee = 0 if free or (method.free_over is not None and subtotal >= method.free_over) else method.fee
    extra = method.remote_extra_days if prefecture in REMOTE_PREFECTURES else 0
    return ShippingQuote(
        fee=fee,
        date_min=today + datetime.timedelta(days=method.days_min + extra),
        date_max=today + datetime.timedelta(days=method.days_max + extra),
    )


def _new_order_number(today: datetime.date) -> str:
    return f"{today:%y%m%d}-{secrets.token_hex(3).upper()}"


def _event(order: Order, message: str, *, status: str = "", actor=None, public: bool = True) -> None:
    OrderEvent.objects.create(
        order=order,
        status=status,
        message=message,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=str(actor) if actor is not None and actor.is_authenticated else "system",
        is_public=public,
    )


def _send_on_commit(signal, order_id: int, **kwargs) -> None:
    """After commit, tell every receiver; one that fails (the broker is down) neither stops the others nor turns the
    committed change into an error. What its task would have done is picked up by that app's catch-up job."""

    def send() -> None:
        for receiver, result in signal.send_robust(sender=Order, order_id=order_id, **kwargs):
            if isinstance(result, Exception):
                logger.error("Receiver %s of order %s failed: %r", receiver, order_id, result)

    transaction.on_commit(send)


def order_place_from_cart(
    *,
    cart: Cart,
    checkout_token,
    details: CheckoutDetails,
    user=None,
    payment_fee: int = 0,
    discount: int = 0,
    reserved_until: datetime.datetime | None = None,
    payment_due: datetime.date | None = None,
    initial_status: str = Status.PENDING_PAYMENT,
    free_shipping: bool = False,
) -> Order:
    """Turn the cart into an order and reserve its stock under row locks.

    Every amount is computed here from the catalogue; nothing the browser sent is trusted. The same
    checkout_token always gives the same order, so a double click or a retried request places one order.
    """
    with transaction.atomic():
        # Checkouts of one cart queue here, so a repeated submit finds the order the first one placed.
        Cart.objects.select_for_update().filter(pk=cart.pk).first()
        existing = Order.objects.filter(checkout_token=checkout_token).first()
        if existing is not None:
            return existing
        lines = list(CartLine.objects.filter(cart=cart).order_by("variant_id"))
        if not lines:
            raise CheckoutError(_("Your cart is empty."))
        method = ShippingMethod.objects.filter(pk=details.shipping_method_id, is_active=True).first()
        if method is None:
            raise CheckoutError(_("Please choose a shipping method."))
        # Locks in variant id order, so two checkouts never wait on each other in a circle.
        variants = {
            v.pk: v
            for v in Variant.objects.select_for_update(of=("self",))
            .select_related("product")
            .filter(pk__in=[line.variant_id for line in lines])
            .order_by("pk")
        }
        problems = []
        for line in lines:
            variant = variants[line.variant_id]
            if not variant.is_active or not variant.product.is_buyable or variant.stock <= 0:
                problems.append(_("“%(item)s” is sold out.") % {"item": variant})
            elif line.quantity > variant.stock:
                problems.append(_("Only %(stock)d of “%(item)s” left.") % {"stock": variant.stock, "item": variant})
        # Checks registered by higher layers (members-only sales, early access): see shop.orders.hooks.
        problems.extend(purchase_problems(user=user, variants=[variants[line.variant_id] for line in lines]))
        if problems:
            raise CheckoutError(" ".join(problems))

        subtotal = sum(variants[line.variant_id].price * line.quantity for line in lines)
        today = timezone.localdate()
        quote = shipping_quote(
            method=method, subtotal=subtotal, prefecture=details.prefecture, today=today, free=free_shipping
        )
        discount = min(discount, subtotal)
        order = Order(
            checkout_token=checkout_token,
            user=user if user is not None and user.is_authenticated else None,
            email=details.email,
            language=details.language,
            status=initial_status,
            payment_method=details.payment_method,
            ship_name=details.name,
            ship_postal_code=details.postal_code,
            ship_prefecture=details.prefecture,
            ship_city=details.city,
            ship_street=details.street,
            ship_building=details.building,
            ship_phone=details.phone,
            shipping_method=method,
            shipping_method_name=method.name,
            delivery_date_min=quote.date_min,
            delivery_date_max=quote.date_max,
            subtotal=subtotal,
            shipping_fee=quote.fee,
            payment_fee=payment_fee,
            discount=discount,
            total=subtotal + quote.fee + payment_fee - discount,
            reserved_until=reserved_until,
            payment_due=payment_due,
        )
        for _attempt in range(5):
            order.number = _new_order_number(today)
            try:
                with transaction.atomic():
                    order.save()
                break
            except IntegrityError:
                if Order.objects.filter(checkout_token=checkout_token).exists():
                    raise
        else:
            raise CheckoutError(_("Sorry, we could not place your order. Please try again."))
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                variant=variants[line.variant_id],
                sku=variants[line.variant_id].sku,
                product_name=variants[line.variant_id].product.name,
                variant_label=variants[line.variant_id].label,
                unit_price=variants[line.variant_id].price,
                quantity=line.quantity,
            )
            for line in lines
        )
        for line in lines:
            Variant.objects.filter(pk=line.variant_id).update(stock=F("stock") - line.quantity)
        for product_id in {variants[line.variant_id].product_id for line in lines}:
            product_sync_from_variants(product_id=product_id)
        CartLine.objects.filter(cart=cart).delete()
        _event(order, gettext_noop("Order placed"), status=order.status, actor=user)
        _send_on_commit(signals.order_placed, order.pk)
    return order


def order_apply_discount(*, order_id: int, coupon_code: str, coupon_discount: int, points_used: int) -> Order:
    """Records a coupon and points on an order still waiting for payment; the total follows.

    Called inside the checkout's transaction, right after the order is placed, by the app that checked the coupon
    and took the points. The discount never exceeds the items' price.
    """
    with transaction.atomic():
        order = _locked(order_id)
        if order.status not in {Status.PENDING_PAYMENT, Status.PROCESSING} or order.paid_at is not None:
            raise OrderStateError(_("A discount can only be added before payment."))
        discount = coupon_discount + points_used
        if coupon_discount < 0 or points_used < 0 or discount > order.subtotal:
            raise CheckoutError(_("The discount cannot be more than the price of the items."))
        order.coupon_code = coupon_code
        order.points_used = points_used
        order.discount = discount
        order.total = order.subtotal + order.shipping_fee + order.payment_fee - discount
        order.save(update_fields=["coupon_code", "points_used", "discount", "total", "updated_at"])
        if discount:
            _event(order, gettext_noop("Coupon and points applied"), public=False)
    return order


def _locked(order_id: int) -> Order:
    return Order.objects.select_for_update().get(pk=order_id)


def _restock(order: Order) -> None:
    lines = list(order.lines.exclude(variant=None).order_by("variant_id"))
    locked = Variant.objects.select_for_update().filter(pk__in=[line.variant_id for line in lines]).order_by("pk")
    product_ids = {v.product_id for v in locked}
    for line in lines:
        Variant.objects.filter(pk=line.variant_id).update(stock=F("stock") + line.quantity)
    for product_id in product_ids:
        product_sync_from_variants(product_id=product_id)


def order_mark_paid(*, order_id: int, actor=None, note: str = "") -> bool:
    """Pending payment -> paid (processing for cash on delivery, which is paid at the door). True if it changed."""
    with transaction.atomic():
        order = _locked(order_id)
        if order.paid_at is not None:
            return False
        if order.status == Status.CANCELLED:
            raise OrderStateError(_("This order was cancelled; its payment needs a refund instead."))
        order.paid_at = timezone.now()
        order.reserved_until = None
        if order.status == Status.PENDING_PAYMENT:
            order.status = Status.PAID
        order.save(update_fields=["paid_at", "reserved_until", "status", "updated_at"])
        _event(order, note or gettext_noop("Payment received"), status=order.status, actor=actor)
        _send_on_commit(signals.order_paid, order.pk)
    return True


def order_mark_processing(*, order_id: int, actor=None) -> Order:
    """Cash on delivery: nothing to wait for before packing, the driver collects the money."""
    with transaction.atomic():
        order = _locked(order_id)
        if order.status != Status.PENDING_PAYMENT:
            raise OrderStateError(_("Only orders waiting for payment can move to processing."))
        order.status = Status.PROCESSING
        order.reserved_until = None
        order.save(update_fields=["status", "reserved_until", "updated_at"])
        _event(order, gettext_noop("Preparing for shipment"), status=order.status, actor=actor)
    return order


def order_mark_shipped(*, order_id: int, carrier: str, tracking_number: str, actor=None) -> Order:
    with transaction.atomic():
        order = _locked(order_id)
        shippable = {Status.PAID, Status.PROCESSING}
        partly_refunded_unshipped = order.status == Status.PARTIALLY_REFUNDED and order.shipped_at is None
        if (
            order.status not in shippable
            and not partly_refunded_unshipped
            and not (order.status == Status.PENDING_PAYMENT and order.payment_method == Order.PaymentMethod.COD)
        ):
            raise OrderStateError(_("Only paid orders (or cash on delivery orders) can be shipped."))
        order.status = Status.SHIPPED
        order.carrier = carrier
        order.tracking_number = tracking_number
        order.shipped_at = timezone.now()
        order.save(update_fields=["status", "carrier", "tracking_number", "shipped_at", "updated_at"])
        _event(order, gettext_noop("Shipped"), status=order.status, actor=actor)
        _send_on_commit(signals.order_shipped, order.pk)
    return order


def order_mark_delivered(*, order_id: int, actor=None) -> Order:
    with transaction.atomic():
        order = _locked(order_id)
        in_transit = order.shipped_at is not None and order.delivered_at is None
        if order.status != Status.SHIPPED and not (order.status == Status.PARTIALLY_REFUNDED and in_transit):
            raise OrderStateError(_("Only shipped orders can be marked delivered."))
        order.status = Status.DELIVERED
        order.delivered_at = timezone.now()
        order.save(update_fields=["status", "delivered_at", "updated_at"])
        _event(order, gettext_noop("Delivered"), status=order.status, actor=actor)
        _send_on_commit(signals.order_delivered, order.pk)
    return order


def order_cancel(*, order_id: int, actor=None, reason: str = "") -> bool:
    """Cancel an order that has not shipped and put its stock back. True if it changed; paid orders need a refund."""
    with transaction.atomic():
        order = _locked(order_id)
        if order.status == Status.CANCELLED:
            return False
        if order.status not in {Status.PENDING_PAYMENT, Status.PROCESSING} or order.paid_at is not None:
            raise OrderStateError(_("Only unpaid orders that have not shipped can be cancelled; refund paid orders."))
        order.status = Status.CANCELLED
        order.cancelled_at = timezone.now()
        order.reserved_until = None
        order.save(update_fields=["status", "cancelled_at", "reserved_until", "updated_at"])
        _restock(order)
        _event(order, reason or gettext_noop("Cancelled"), status=order.status, actor=actor)
        _send_on_commit(signals.order_cancelled, order.pk)
    return True


def order_record_refund(*, order_id: int, amount: int, actor=None, restock: bool = False) -> Order:
    """Record money given back (the payment provider's side is done by the caller); never more than was paid."""
    with transaction.atomic():
        order = _locked(order_id)
        if order.paid_at is None:
            raise OrderStateError(_("Only paid orders can be refunded."))
        if amount <= 0 or order.refunded_amount + amount > order.total:
            raise OrderStateError(
                _("The refund can be at most %(left)s.") % {"left": (order.total_money - order.refunded_money)}
            )
        order.refunded_amount += amount
        order.status = Status.REFUNDED if order.refunded_amount == order.total else Status.PARTIALLY_REFUNDED
        order.save(update_fields=["refunded_amount", "status", "updated_at"])
        if restock and order.status == Status.REFUNDED and order.shipped_at is None:
            _restock(order)
        _event(order, gettext_noop("Refunded"), status=order.status, actor=actor)
        _send_on_commit(signals.order_refunded, order.pk, amount=amount)
    return order


def order_flag(*, order_id: int, reason: str) -> None:
    """Mark an order for staff attention (e.g. the payment did not match); fulfils nothing."""
    with transaction.atomic():
        order = _locked(order_id)
        order.flagged_reason = reason[:200]
        order.save(update_fields=["flagged_reason", "updated_at"])
        _event(order, reason[:300], actor=None, public=False)


def order_release_expired_reservations(*, now: datetime.datetime | None = None) -> int:
    """Cancel unpaid orders whose reservation ran out, putting their stock back. Returns how many."""
    now = now or timezone.now()
    expired = Order.objects.filter(status=Status.PENDING_PAYMENT, paid_at=None, reserved_until__lt=now)
    released = 0
    for order_id in expired.values_list("pk", flat=True):
        try:
            if order_cancel(order_id=order_id, reason=gettext_noop("Cancelled: payment not received in time")):
                released += 1
        except OrderStateError:
            continue  # paid in the meantime
    return released


def order_change_payment_method(
    *,
    order_id: int,
    payment_method: str,
    payment_fee: int,
    reserved_until: datetime.datetime | None,
    payment_due: datetime.date | None,
    status: str,
    actor=None,
) -> Order:
    """After a failed card payment the shopper may pay another way; the fee and the total follow the method."""
    with transaction.atomic():
        order = _locked(order_id)
        if order.status != Status.PENDING_PAYMENT or order.paid_at is not None:
            raise OrderStateError(_("The payment method of this order can no longer be changed."))
        order.payment_method = payment_method
        order.payment_fee = payment_fee
        order.total = order.subtotal + order.shipping_fee + payment_fee - order.discount
        order.reserved_until = reserved_until
        order.payment_due = payment_due
        order.status = status
        order.save(
            update_fields=[
                "payment_method", "payment_fee", "total", "reserved_until", "payment_due", "status", "updated_at",
            ]
        )  # fmt: skip
        _event(order, gettext_noop("Payment method changed"), status=order.status, actor=actor)
    return order
