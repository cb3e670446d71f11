"""Reminders for bank transfers not received yet: once per order, when its payment is due within two days."""

import datetime

from django.db import transaction
from django.utils import timezone

from shop.notifications.models import Notification
from shop.notifications.services import notification_enqueue
from shop.orders.models import Order

from .emails import order_confirmation_context

REMIND_DAYS_BEFORE_DUE = 2


def _key(order_id: int) -> str:
    return f"bank_transfer_reminder:{order_id}"


def bank_transfer_orders_due(*, now: datetime.datetime):
    """Bank transfer orders still waiting for the money whose deadline is today or within the next two days."""
    today = timezone.localdate(now)
    return Order.objects.filter(
        payment_method=Order.PaymentMethod.BANK_TRANSFER,
        status=Order.Status.PENDING_PAYMENT,
        paid_at=None,
        payment_due__gte=today,
        payment_due__lte=today + datetime.timedelta(days=REMIND_DAYS_BEFORE_DUE),
    )


def bank_transfer_reminder_enqueue(*, order_id: int, now: datetime.datetime | None = None) -> bool:
    """Write the reminder for one order to the outbox if it is due and was not written before. True if written."""
    now = now or timezone.now()
    with transaction.atomic():
        # The order row lock makes two runs at once take turns; the second finds the first one's rows.
        order = bank_transfer_orders_due(now=now).select_for_update().filter(pk=order_id).first()
        if order is None or Notification.objects.filter(batch_key=_key(order.pk)).exists():
            return False
        notification_enqueue(
            kind="bank_transfer_reminder",
            user=order.user,
            email=order.email,
            context=order_confirmation_context(order=order),
            dedupe_key=_key(order.pk),
            source=f"order:{order.number}",
            now=now,
        )
    return True


def bank_transfer_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """The daily job (beat at 10:00 JST, `manage.py send_payment_reminders`). Returns how many were written."""
    now = now or timezone.now()
    order_ids = list(bank_transfer_orders_due(now=now).order_by("id").values_list("pk", flat=True))
    return sum(bank_transfer_reminder_enqueue(order_id=order_id, now=now) for order_id in order_ids)
