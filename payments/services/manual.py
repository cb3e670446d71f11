"""Manual methods (bank transfer, cash on delivery): the pending payment opened with the order, and staff marking
it paid when the money arrives."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from shop.orders import services as order_services
from shop.orders.models import Order

from ..exceptions import PaymentError
from ..models import Payment

Method = Order.PaymentMethod


def manual_payment_open(order: Order) -> None:
    if order.payment_method != Method.CARD:
        Payment.objects.get_or_create(
            order=order, method=order.payment_method, status=Payment.Status.PENDING, defaults={"amount": order.total}
        )


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
