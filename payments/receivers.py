from django.dispatch import receiver

from shop.orders.signals import order_cancelled, order_paid, order_placed

from . import emails, tasks


@receiver(order_placed, dispatch_uid="payments_confirmation_on_placed")
@receiver(order_paid, dispatch_uid="payments_confirmation_on_paid")
def enqueue_order_confirmation(sender, order_id, **kwargs):
    # Written to the outbox here, not through a task: the outbox is the queue, and a task would put the broker in
    # front of it (Redis down = confirmation lost). Both events call it; it decides whether the confirmation is due
    # yet (card orders: once paid).
    emails.order_confirmation_enqueue(order_id=order_id)


@receiver(order_cancelled, dispatch_uid="payments_close_on_cancelled")
def enqueue_close_open_payments(sender, order_id, **kwargs):
    tasks.cancel_open_payments.delay(order_id)
