from django.dispatch import receiver

from shop.orders.signals import order_cancelled, order_paid, order_placed

from . import tasks


@receiver(order_placed, dispatch_uid="payments_confirmation_on_placed")
@receiver(order_paid, dispatch_uid="payments_confirmation_on_paid")
def enqueue_order_confirmation(sender, order_id, **kwargs):
    # Both events enqueue; the task decides whether the confirmation is due yet (card orders: once paid).
    tasks.send_order_confirmation.delay(order_id)


@receiver(order_cancelled, dispatch_uid="payments_close_on_cancelled")
def enqueue_close_open_payments(sender, order_id, **kwargs):
    tasks.cancel_open_payments.delay(order_id)
