"""Order events from the layer below; each receiver only enqueues the tally of that order."""

from django.dispatch import receiver

from shop.orders.signals import order_paid, order_refunded

from . import tasks


@receiver(order_paid, dispatch_uid="share_rewards_on_order_paid")
def enqueue_tally_on_paid(sender, order_id, **kwargs):
    tasks.tally_for_order.delay(order_id)


@receiver(order_refunded, dispatch_uid="share_rewards_on_order_refunded")
def enqueue_tally_on_refunded(sender, order_id, **kwargs):
    # The task checks for a full refund itself; a partial one leaves the purchase counted.
    tasks.tally_for_order.delay(order_id)
