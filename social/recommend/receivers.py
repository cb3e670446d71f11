"""Order events from the layer below; the receiver only enqueues a task."""

from django.dispatch import receiver

from shop.orders.signals import order_paid

from . import tasks


@receiver(order_paid, dispatch_uid="recommend_on_order_paid")
def enqueue_rebuild_on_paid(sender, order_id, **kwargs):
    tasks.rebuild_after_order.delay(order_id)
