"""Order and review events from the layers below; each receiver only enqueues a task (idempotent by design)."""

from django.dispatch import receiver

from shop.orders.signals import order_cancelled, order_paid, order_refunded
from shop.reviews.signals import review_hidden, review_published

from . import tasks


@receiver(order_paid, dispatch_uid="loyalty_on_order_paid")
def enqueue_order_paid(sender, order_id, **kwargs):
    tasks.order_paid.delay(order_id)


@receiver(order_cancelled, dispatch_uid="loyalty_on_order_cancelled")
def enqueue_order_cancelled(sender, order_id, **kwargs):
    tasks.order_cancelled.delay(order_id)


@receiver(order_refunded, dispatch_uid="loyalty_on_order_refunded")
def enqueue_order_refunded(sender, order_id, **kwargs):
    tasks.order_refunded.delay(order_id)


@receiver(review_published, dispatch_uid="loyalty_on_review_published")
def enqueue_review_published(sender, review_id, **kwargs):
    tasks.review_published.delay(review_id)


@receiver(review_hidden, dispatch_uid="loyalty_on_review_hidden")
def enqueue_review_hidden(sender, review_id, **kwargs):
    tasks.review_hidden.delay(review_id)
