from django.dispatch import receiver

from shop.orders.signals import order_delivered

from . import tasks


@receiver(order_delivered, dispatch_uid="reviews_request_after_delivery")
def enqueue_review_request(sender, order_id, **kwargs):
    tasks.send_review_request.delay(order_id)
