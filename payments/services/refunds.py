"""Refunds: money given back through Stripe for cards and recorded for manual methods, never more than was paid."""

from django.db import transaction
from django.utils.translation import gettext as _

from shop.orders import services as order_services
from shop.orders.models import Order

from .. import gateway
from ..exceptions import PaymentError
from ..models import Payment, Refund

Method = Order.PaymentMethod


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
