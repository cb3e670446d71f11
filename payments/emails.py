"""The order confirmation. It lives in payments because it shows how to pay: the shop's bank account for
bank transfer, the cash on delivery fee, the card that was charged. It goes out through the notifications outbox:
e-mail in the order's language, and LINE too when the member linked it."""

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from shop.notifications.services import notification_enqueue
from shop.orders.emails import day_label, order_context, order_language, site_url
from shop.orders.models import Order

from .models import Payment, PaymentSettings

Method = Order.PaymentMethod
# How far back the catch-up looks: an order older than this without a confirmation predates the outbox.
CATCH_UP_WINDOW = datetime.timedelta(days=2)


def order_confirmation_context(*, order: Order) -> dict:
    """What templates/notifications/order_confirmation/ shows; dates are worded in the order's language."""
    language = order_language(order)
    with translation.override(language):
        context = order_context(order)
        context.update(
            language=language,
            customer_name=order.ship_name,
            order_number=order.number,
            total=order.total_money.format_tax_included(),
            bank=PaymentSettings.load() if order.payment_method == Method.BANK_TRANSFER else None,
            payment_due=day_label(order.payment_due),
            card=order.payments.filter(method=Method.CARD, status=Payment.Status.SUCCEEDED).first()
            if order.payment_method == Method.CARD
            else None,
        )
    return context


def _due_orders():
    """Orders whose confirmation is due and not yet written: bank transfer and cash on delivery orders when
    placed (the message says how to pay), card orders only once paid (an abandoned card checkout gets no thanks)."""
    return (
        Order.objects.filter(confirmation_sent_at=None)
        .exclude(status=Order.Status.CANCELLED)
        .exclude(payment_method=Method.CARD, paid_at=None)
    )


def order_confirmation_enqueue(*, order_id: int, now: datetime.datetime | None = None) -> bool:
    """Write the order confirmation to the outbox once, when it is due. True if it was written now.

    confirmation_sent_at is the claim: set in the same transaction as the outbox rows, so a second call finds
    nothing to claim, and a failure rolls both back. The outbox's dedupe key guards the same once more.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if _due_orders().filter(pk=order_id).update(confirmation_sent_at=now) != 1:
            return False
        order = Order.objects.select_related("user").get(pk=order_id)
        notification_enqueue(
            kind="order_confirmation",
            user=order.user,
            email=order.email,
            context=order_confirmation_context(order=order),
            dedupe_key=f"order_confirmation:{order.pk}",
            source=f"order:{order.number}",
            now=now,
        )
    return True


def order_confirmations_catch_up(*, now: datetime.datetime | None = None) -> int:
    """Write the confirmations a lost on-commit signal or task left unwritten (the order row, committed with the
    payment, is the record that one is owed). Returns how many were written."""
    now = now or timezone.now()
    order_ids = _due_orders().filter(created_at__gte=now - CATCH_UP_WINDOW).order_by("id").values_list("pk", flat=True)
    return sum(order_confirmation_enqueue(order_id=order_id, now=now) for order_id in list(order_ids))


def payment_failed_enqueue(*, payment: Payment, reason: str, now: datetime.datetime | None = None) -> None:
    """Tell the shopper a card attempt failed, why, and where to pay again. Once per failed attempt; written in
    the caller's transaction (the one that records the failure), delivered after it commits.

    reason is an untranslated msgid (payments.services' decline messages), worded here in the order's language.
    """
    order = Order.objects.select_related("user").get(pk=payment.order_id)
    if order.paid_at is not None or order.status != Order.Status.PENDING_PAYMENT:
        return  # nothing left to pay: a late failure of a stale attempt is not news to the shopper
    language = order_language(order)
    with translation.override(language):
        context = {
            **order_context(order),
            "language": language,
            "customer_name": order.ship_name,
            "order_number": order.number,
            "total": order.total_money.format_tax_included(),
            "reason": translation.gettext(reason),
            "pay_url": site_url(reverse("payments:pay", kwargs={"number": order.number})),
        }
    notification_enqueue(
        kind="payment_failed",
        user=order.user,
        email=order.email,
        context=context,
        dedupe_key=f"payment_failed:{payment.pk}",
        source=f"order:{order.number}",
        now=now,
    )
