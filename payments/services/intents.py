"""How a card attempt ends: Stripe's PaymentIntent state applied to the payment, and declines worded for the shopper.
Every state change of a payment goes through `apply_intent` (card pages, webhooks and reconciliation alike)."""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from shop.orders import services as order_services
from shop.orders.exceptions import OrderStateError

from .. import gateway
from ..emails import payment_failed_enqueue
from ..models import Payment

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
class CardResult:
    status: str  # "succeeded", "requires_action", "failed", "processing"
    message: str = ""
    client_secret: str = ""


def fail_payment(payment: Payment, *, code: str, message: str) -> CardResult:
    payment.status = Payment.Status.FAILED
    payment.error_code = code[:100]
    payment.error_message = message[:300]
    payment.save()
    # In this transaction, once per attempt: a webhook repeating the failure finds the message written already.
    payment_failed_enqueue(payment=payment, reason=_DECLINE_MESSAGES.get(code, _DECLINE_DEFAULT))
    return CardResult("failed", decline_message(code))


def apply_intent(*, payment: Payment, state: gateway.IntentState) -> CardResult:
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
        return fail_payment(payment, code=code, message=state.error_message or state.status)
    return CardResult("processing", _("Your payment is being processed."))
