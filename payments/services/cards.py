"""Card payments through Stripe: the attempt the card form charges (customer, saved cards, SetupIntent), charging it
once however often the form is sent, finishing after 3-D Secure, and closing open attempts of a cancelled order."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from shop.orders.models import Order

from .. import gateway
from ..exceptions import PaymentError
from ..models import Payment, StripeCustomer
from .intents import CardResult, apply_intent, fail_payment

logger = logging.getLogger(__name__)

Method = Order.PaymentMethod


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


def _close_abandoned_attempts(order: Order) -> CardResult | None:
    """Before a new attempt, cancel the ones left waiting for 3-D Secure (the shopper closed the box and came back
    with another card), so that authenticating one later in another tab cannot charge the order a second time. They
    are closed as cancelled, as an order's cancellation closes them: the shopper is paying, not told of a failure.

    Returns the result of one Stripe says succeeded meanwhile (it is applied: the order is paid, nothing more to
    charge). One that cannot be cancelled now is left as it is; if it is paid after all, the order's second charge
    is flagged for a refund (intents.apply_intent, by its webhook or the reconciliation).
    """
    paid = None
    waiting = order.payments.filter(method=Method.CARD, status=Payment.Status.REQUIRES_ACTION).exclude(
        stripe_payment_intent=None
    )
    for payment_id in waiting.values_list("pk", flat=True):
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(pk=payment_id)
            if payment.status != Payment.Status.REQUIRES_ACTION:
                continue
            try:
                gateway.payment_intent_cancel(payment_intent=payment.stripe_payment_intent)
            except gateway.GatewayError:
                pass  # finished one way or the other, or Stripe unreachable: its state says which
            try:
                state = gateway.payment_intent_get(payment_intent=payment.stripe_payment_intent)
            except gateway.GatewayError as error:
                logger.warning("Could not close %s: %s", payment.stripe_payment_intent, error)
                continue
            if state.status == "canceled":
                payment.status = Payment.Status.CANCELLED
                payment.save(update_fields=["status", "updated_at"])
            elif state.status == "succeeded":
                paid = apply_intent(payment=payment, state=state)
    return paid


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
            return apply_intent(payment=payment, state=state)
        if order.paid_at is not None or order.status != Order.Status.PENDING_PAYMENT:
            raise PaymentError(_("This order is not waiting for payment."))
        paid = _close_abandoned_attempts(order)
        if paid is not None:
            return paid
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
            return fail_payment(payment, code=error.code or "card_declined", message=str(error))
        except gateway.GatewayError as error:
            logger.warning("Stripe error for order %s: %s", order.number, error)
            return fail_payment(payment, code=error.code or "gateway_error", message=str(error))
        payment.stripe_payment_intent = state.id
        payment.save(
            update_fields=["stripe_payment_intent", "card_brand", "card_last4", "card_fingerprint", "updated_at"]
        )
        return apply_intent(payment=payment, state=state)


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
        return apply_intent(payment=payment, state=state)


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
