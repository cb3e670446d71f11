from django.dispatch import receiver

from shop.orders.signals import order_paid, order_refunded

from . import tasks


@receiver(order_paid, dispatch_uid="shares_attribution_on_paid")
def enqueue_attribution_confirm(sender, order_id, **kwargs):
    tasks.attribution_confirm.delay(order_id)


@receiver(order_refunded, dispatch_uid="shares_attribution_on_refunded")
def enqueue_attribution_reverse(sender, order_id, **kwargs):
    # The task checks for a full refund itself; a partial one leaves the attribution as it is.
    tasks.attribution_reverse.delay(order_id)
