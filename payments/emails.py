"""The order confirmation e-mail. It lives in payments because it shows how to pay: the shop's bank account for
bank transfer, the cash on delivery fee, the card that was charged."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shop.orders.emails import day_label, order_context, order_email_build, order_language
from shop.orders.models import Order

from .models import Payment, PaymentSettings

Method = Order.PaymentMethod


def order_confirmation_message(*, order: Order) -> EmailMultiAlternatives:
    with translation.override(order_language(order)):
        context = order_context(order)
        context.update(
            bank=PaymentSettings.load() if order.payment_method == Method.BANK_TRANSFER else None,
            payment_due=day_label(order.payment_due),
            card=order.payments.filter(method=Method.CARD, status=Payment.Status.SUCCEEDED).first()
            if order.payment_method == Method.CARD
            else None,
        )
        subject = _("[%(shop)s] Thank you for your order (order %(number)s)") % {
            "shop": settings.SHOP_NAME,
            "number": order.number,
        }
        return order_email_build(order=order, template="order_confirmation", subject=subject, context=context)


def order_confirmation_send(*, order_id: int) -> bool:
    """Send the confirmation once, when it is due. True if it was sent now.

    Bank transfer and cash on delivery orders are confirmed when placed (the mail says how to pay); card orders
    only once paid, so an abandoned card checkout gets no "thank you". The claim and the send share a transaction:
    a failed send releases the claim for the retry, and a second delivery of the task finds nothing to claim.
    """
    with transaction.atomic():
        claimed = (
            Order.objects.filter(pk=order_id, confirmation_sent_at=None)
            .exclude(status=Order.Status.CANCELLED)
            .exclude(payment_method=Method.CARD, paid_at=None)
            .update(confirmation_sent_at=timezone.now())
        )
        if claimed != 1:
            return False
        order = Order.objects.get(pk=order_id)
        order_confirmation_message(order=order).send()
    return True
