"""Checkout and payments: placing the order with a payment method, card payments through Stripe, manual methods,
webhooks, reconciliation and refunds. Every state change of a payment goes through `_apply_intent`."""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from loyalty.exceptions import LoyaltyError
from loyalty.services.coupons import coupon_hold_for_order
from loyalty.services.points import points_redeem_for_order
from shop.orders import services as order_services
from shop.orders.exceptions import CheckoutError, OrderStateError
from shop.orders.models import Cart, Order, ShippingMethod

from . import gateway
from .emails import order_confirmation_enqueue, payment_failed_enqueue
from .exceptions import PaymentError
from .models import Payment, PaymentSettings, Refund, StripeCustomer, WebhookEvent
from .pricing import CARD_MINIMUM, checkout_pricing

logger = logging.getLogger(__name__)

Method = Order.PaymentMethod

# Messages for Stripe's decline codes, in the shopper's language; anything else gets the general one.
_DECLINE_MESSAGES = {
    "card_declined": gettext_noop("Your card was declined. Please try another card or another payment method."),
    "insufficient_funds": gettext_noop(
        "Your card has insufficient funds. Please try another card or another payment method."
    ),
    "expired_card": gettext_noop("Your card has expired. Please try another card."),
    "incorrect_cvc": gettext_noop("The security code is incorrect. Please check it and try again."),
    "processing_error": gettext_noop("The card could not be processed. Please try again in a moment."),
    "payment_intent_authentication_failure": gettext_noop(
        "The card could not be authenticated (3-D Secure). Please try again or use another card."
    ),
}
_DECLINE_DEFAULT = gettext_noop("The payment did not go through. Please try another card or another payment method.")


def decline_message(code: str) -> str:
    """Stripe's decline code as a message in the language of the current request."""
    return _(_DECLINE_MESSAGES.get(code, _DECLINE_DEFAULT))


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


def _manual_payment_open(order: Order) -> None:
    if order.payment_method != Method.CARD:
        Payment.objects.get_or_create(
            order=order, method=order.payment_method, status=Payment.Status.PENDING, defaults={"amount": order.total}
        )


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
                _manual_payment_open(order)
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
        _manual_payment_open(order)
    if method == Method.COD:
        order_services.order_mark_processing(order_id=order.pk, actor=actor)
    # Now that it is a bank transfer / COD order, the confirmation (with the bank details) is due. Written to the
    # outbox straight away, as the order_placed receiver does: through a task, a broker that is down turned the
    # committed switch into a 500 and left the confirmation to the catch-up job.
    order_confirmation_enqueue(order_id=order.pk)
    return order


# --- Cards -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardCheckout:
    payment: Payment
    publishable_key: str
    setup_client_secret: str
    saved_cards: list


def _customer_for(*, order: Order, user) -> str:
    if user is not None and user.is_authenticated:
        existing = StripeCustomer.objects.filter(user=user).first()
        if existing:
            return existing.customer_id
        customer_id = gateway.customer_create(email=user.email)
        try:
            with transaction.atomic():
                StripeCustomer.objects.create(user=user, customer_id=customer_id)
        except IntegrityError:
            return StripeCustomer.objects.get(user=user).customer_id
        return customer_id
    return gateway.customer_create(email=order.email)


def card_payment_prepare(*, order: Order, user=None) -> CardCheckout:
    """The open card attempt for the order (created if needed) and what the card form needs."""
    if order.status != Order.Status.PENDING_PAYMENT or order.paid_at is not None:
        raise PaymentError(_("This order is not waiting for payment."))
    if order.payment_method != Method.CARD:
        raise PaymentError(_("This order is paid another way."))
    payment = order.payments.filter(
        method=Method.CARD, status=Payment.Status.PENDING, stripe_payment_intent=None
    ).first()
    if payment is None or not payment.stripe_customer:
        customer = _customer_for(order=order, user=user)
        payment = Payment.objects.create(order=order, method=Method.CARD, amount=order.total, stripe_customer=customer)
    saved = (
        gateway.customer_cards(customer=payment.stripe_customer) if user is not None and user.is_authenticated else []
    )
    return CardCheckout(
        payment=payment,
        publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
        setup_client_secret=gateway.setup_intent_create(customer=payment.stripe_customer),
        saved_cards=saved,
    )


def _close_abandoned_attempts(order: Order) -> None:
    """Before a new attempt, cancel one left waiting for 3-D Secure, so the order can never be charged twice.

    If Stripe says it succeeded meanwhile, that is applied instead (and the order is then paid).
    """
    waiting = order.payments.filter(method=Method.CARD, status=Payment.Status.REQUIRES_ACTION).exclude(
        stripe_payment_intent=None
    )
    for payment_id in waiting.values_list("pk", flat=True):
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(pk=payment_id)
            try:
                gateway.payment_intent_cancel(payment_intent=payment.stripe_payment_intent)
            except gateway.GatewayError:
                pass  # already finished one way or the other: read its state below
            state = gateway.payment_intent_get(payment_intent=payment.stripe_payment_intent)
            _apply_intent(payment=payment, state=state)
    order.refresh_from_db()
    if order.paid_at is not None:
        raise PaymentError(_("This order is not waiting for payment."))


@dataclass(frozen=True)
class CardResult:
    status: str  # "succeeded", "requires_action", "failed", "processing"
    message: str = ""
    client_secret: str = ""


def card_payment_confirm(*, order: Order, payment_method: str) -> CardResult:
    """Charge the order's open attempt with this card. Repeating the call never creates a second PaymentIntent."""
    if not payment_method or not payment_method.startswith("pm_"):
        raise PaymentError(_("Please enter your card details."))
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .filter(order=order, method=Method.CARD)
            .exclude(status__in=[Payment.Status.FAILED, Payment.Status.CANCELLED])
            .order_by("-created_at")
            .first()
        )
        if payment is None:
            raise PaymentError(_("Please reload the page and enter your card again."))
        if payment.stripe_payment_intent:
            # A repeated submit: report the attempt already made instead of charging again.
            state = gateway.payment_intent_get(payment_intent=payment.stripe_payment_intent)
            return _apply_intent(payment=payment, state=state)
        if order.paid_at is not None or order.status != Order.Status.PENDING_PAYMENT:
            raise PaymentError(_("This order is not waiting for payment."))
        try:
            card = gateway.payment_method_attach(payment_method=payment_method, customer=payment.stripe_customer)
            payment.card_brand, payment.card_last4 = card.brand, card.last4
            payment.card_fingerprint = card.fingerprint
            state = gateway.payment_intent_confirm(
                amount=order.total,
                currency=order.currency,
                customer=payment.stripe_customer,
                payment_method=payment_method,
                metadata={"order_id": str(order.pk), "order_number": order.number, "payment_id": str(payment.pk)},
            )
        except gateway.CardError as error:
            payment.stripe_payment_intent = error.payment_intent or None
            return _fail(payment, code=error.code or "card_declined", message=str(error))
        except gateway.GatewayError as error:
            logger.warning("Stripe error for order %s: %s", order.number, error)
            return _fail(payment, code=error.code or "gateway_error", message=str(error))
        payment.stripe_payment_intent = state.id
        payment.save(
            update_fields=["stripe_payment_intent", "card_brand", "card_last4", "card_fingerprint", "updated_at"]
        )
        return _apply_intent(payment=payment, state=state)


def card_payment_complete(*, order: Order) -> CardResult:
    """After 3-D Secure in the browser: ask Stripe how the attempt ended and apply it."""
    payment = (
        order.payments.filter(method=Method.CARD).exclude(stripe_payment_intent=None).order_by("-created_at").first()
    )
    if payment is None:
        raise PaymentError(_("Please reload the page and enter your card again."))
    state = gateway.payment_intent_get(payment_intent=payment.stripe_payment_intent)
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        return _apply_intent(payment=payment, state=state)


def _fail(payment: Payment, *, code: str, message: str) -> CardResult:
    payment.status = Payment.Status.FAILED
    payment.error_code = code[:100]
    payment.error_message = message[:300]
    payment.save()
    # In this transaction, once per attempt: a webhook repeating the failure finds the message written already.
    payment_failed_enqueue(payment=payment, reason=_DECLINE_MESSAGES.get(code, _DECLINE_DEFAULT))
    return CardResult("failed", decline_message(code))


def _apply_intent(*, payment: Payment, state: gateway.IntentState) -> CardResult:
    """Move a (locked) payment to what Stripe says. Only forward: a late "failed" never undoes a success."""
    if payment.status == Payment.Status.SUCCEEDED:
        return CardResult("succeeded")
    if state.status == "succeeded":
        order = payment.order
        if order.payments.filter(status=Payment.Status.SUCCEEDED).exclude(pk=payment.pk).exists():
            # A second charge for an order already paid (e.g. an abandoned 3-D Secure tab finished later).
            payment.error_code = "duplicate_charge"
            payment.error_message = f"{state.id} succeeded after the order was already paid; refund it."
            payment.save(update_fields=["error_code", "error_message", "updated_at"])
            order_services.order_flag(order_id=order.pk, reason=payment.error_message)
            return CardResult("succeeded")
        if state.amount != order.total or state.currency != order.currency or state.amount != payment.amount:
            reason = _("Payment %(pi)s of %(amount)s %(currency)s does not match the order total %(total)s.") % {
                "pi": state.id, "amount": state.amount, "currency": state.currency, "total": order.total_money,
            }  # fmt: skip
            payment.error_code = "amount_mismatch"
            payment.error_message = reason[:300]
            payment.save(update_fields=["error_code", "error_message", "updated_at"])
            order_services.order_flag(order_id=order.pk, reason=reason)
            return CardResult("failed", _("We could not confirm your payment. Our staff will contact you."))
        payment.status = Payment.Status.SUCCEEDED
        payment.stripe_charge = state.charge_id
        payment.card_brand = state.card_brand or payment.card_brand
        payment.card_last4 = state.card_last4 or payment.card_last4
        payment.card_fingerprint = state.card_fingerprint or payment.card_fingerprint
        payment.error_code = payment.error_message = ""
        payment.save()
        try:
            order_services.order_mark_paid(order_id=order.pk, note=gettext_noop("Card payment received"))
        except OrderStateError as error:
            order_services.order_flag(order_id=order.pk, reason=f"Paid after cancellation, refund needed: {error}")
        return CardResult("succeeded")
    if state.status == "requires_action":
        payment.status = Payment.Status.REQUIRES_ACTION
        payment.save(update_fields=["status", "updated_at"])
        return CardResult("requires_action", client_secret=state.client_secret)
    if state.status == "processing":
        return CardResult("processing", _("Your payment is being processed."))
    if state.status in {"requires_payment_method", "canceled"}:
        code = state.error_code or ("canceled" if state.status == "canceled" else "card_declined")
        return _fail(payment, code=code, message=state.error_message or state.status)
    return CardResult("processing", _("Your payment is being processed."))


# --- Webhooks and reconciliation ---------------------------------------------------------------------------------

HANDLED_EVENTS = {"payment_intent.succeeded", "payment_intent.payment_failed"}


def webhook_receive(*, payload: bytes, signature: str | None) -> str:
    """Verify, store by event id and apply a Stripe event. Raises gateway.SignatureError before writing anything."""
    event = gateway.webhook_event_parse(payload=payload, signature=signature)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(event_id=event["id"], type=event["type"], payload=event)
        except IntegrityError:
            return "duplicate"
        result = _webhook_apply(event)
        record.processed_at = timezone.now()
        record.result = result[:200]
        record.save(update_fields=["processed_at", "result"])
    return result


def _webhook_apply(event: dict) -> str:
    if event["type"] not in HANDLED_EVENTS:
        return "ignored"
    intent = event["data"]["object"]
    payment = Payment.objects.select_for_update().filter(stripe_payment_intent=intent["id"]).first()
    if payment is None:
        payment_id = (intent.get("metadata") or {}).get("payment_id", "")
        payment = (
            Payment.objects.select_for_update().filter(pk=int(payment_id)).first() if payment_id.isdigit() else None
        )
        if payment is None:
            return "unknown payment"
        if payment.stripe_payment_intent not in (None, intent["id"]):
            return "payment belongs to another intent"
        payment.stripe_payment_intent = intent["id"]
        payment.save(update_fields=["stripe_payment_intent", "updated_at"])
    # The event's copy may be stale (events can arrive out of order); Stripe's current state decides.
    state = gateway.payment_intent_get(payment_intent=intent["id"])
    return _apply_intent(payment=payment, state=state).status


def payments_reconcile(*, older_than: datetime.timedelta = datetime.timedelta(minutes=2)) -> int:
    """Ask Stripe about card attempts still open, so a lost webhook never leaves a paid order unfulfilled."""
    cutoff = timezone.now() - older_than
    open_ids = list(
        Payment.objects.filter(
            method=Method.CARD,
            status__in=[Payment.Status.PENDING, Payment.Status.REQUIRES_ACTION],
            updated_at__lt=cutoff,
        )
        .exclude(stripe_payment_intent=None)
        .values_list("pk", flat=True)
    )
    changed = 0
    for payment_id in open_ids:
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(pk=payment_id)
            if payment.status not in {Payment.Status.PENDING, Payment.Status.REQUIRES_ACTION}:
                continue
            try:
                state = gateway.payment_intent_get(payment_intent=payment.stripe_payment_intent)
            except gateway.GatewayError as error:
                logger.warning("Reconcile: could not read %s: %s", payment.stripe_payment_intent, error)
                continue
            before = payment.status
            _apply_intent(payment=payment, state=state)
            changed += payment.status != before
    return changed


# --- Staff actions -----------------------------------------------------------------------------------------------


def manual_payment_mark_paid(*, order_id: int, actor) -> bool:
    """Staff confirm a bank transfer arrived or the driver collected cash on delivery."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.payment_method == Method.CARD:
            raise PaymentError(_("Card payments are confirmed by Stripe, not by hand."))
        if order.paid_at is not None:
            return False
        payment = (
            Payment.objects.select_for_update()
            .filter(order=order, method=order.payment_method, status=Payment.Status.PENDING)
            .first()
        )
        if payment is None:
            payment = Payment(order=order, method=order.payment_method)
        payment.amount = order.total
        payment.status = Payment.Status.SUCCEEDED
        payment.recorded_by = actor
        payment.save()
        return order_services.order_mark_paid(
            order_id=order.pk, actor=actor, note=gettext_noop("Payment confirmed by staff")
        )


def refund_order(*, order_id: int, amount: int, actor, reason: str = "") -> Refund:
    """Give money back: through Stripe for cards, recorded for manual methods. Never more than was paid.

    The refund is reserved (a pending row counts against what is left) before Stripe is asked, so two staff
    members refunding at once cannot both succeed, and a refusal is kept on the row for staff to read.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        payment = Payment.objects.select_for_update().filter(order=order, status=Payment.Status.SUCCEEDED).first()
        if payment is None:
            raise PaymentError(_("This order has no successful payment to refund."))
        pending = sum(payment.refunds.filter(status=Refund.Status.PENDING).values_list("amount", flat=True))
        left = min(payment.refundable, order.total - order.refunded_amount) - pending
        if amount <= 0 or amount > left:
            raise PaymentError(_("Enter an amount between ¥1 and %(max)s.") % {"max": f"¥{max(left, 0):,}"})
        refund = Refund.objects.create(payment=payment, amount=amount, actor=actor, reason=reason[:200])
    if payment.method == Method.CARD:
        try:
            refund.stripe_refund, status = gateway.refund_create(
                payment_intent=payment.stripe_payment_intent,
                amount=amount,
                metadata={"order_number": order.number, "refund_id": str(refund.pk)},
            )
        except gateway.GatewayError as error:
            status, refund.error_message = "failed", str(error)[:300]
        if status == "failed":
            refund.status = Refund.Status.FAILED
            refund.save(update_fields=["stripe_refund", "status", "error_message", "updated_at"])
            raise PaymentError(_("Stripe refused the refund: %(error)s") % {"error": refund.error_message or status})
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        refund.status = Refund.Status.SUCCEEDED
        refund.save(update_fields=["stripe_refund", "status", "updated_at"])
        payment.refunded_amount += amount
        payment.save(update_fields=["refunded_amount", "updated_at"])
        order_services.order_record_refund(order_id=order.pk, amount=amount, actor=actor)
    return refund


def payments_cancel_open(*, order_id: int) -> int:
    """When an order is cancelled: close its open attempts, and cancel card PaymentIntents not yet paid."""
    closed = 0
    open_statuses = [Payment.Status.PENDING, Payment.Status.REQUIRES_ACTION]
    for payment_id in Payment.objects.filter(order_id=order_id, status__in=open_statuses).values_list("pk", flat=True):
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(pk=payment_id)
            if payment.status not in open_statuses:
                continue
            if payment.stripe_payment_intent:
                try:
                    gateway.payment_intent_cancel(payment_intent=payment.stripe_payment_intent)
                except gateway.GatewayError as error:
                    # Already succeeded or unreachable: reconciliation and the webhook will flag it if it was paid.
                    logger.warning("Could not cancel %s: %s", payment.stripe_payment_intent, error)
                    continue
            payment.status = Payment.Status.CANCELLED
            payment.save(update_fields=["status", "updated_at"])
            closed += 1
    return closed
