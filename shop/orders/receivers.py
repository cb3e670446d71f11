from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from . import services, tasks
from .signals import order_shipped


@receiver(user_logged_in, dispatch_uid="orders_merge_guest_cart")
def merge_guest_cart(sender, request, user, **kwargs):
    # Runs in the request, not in a task: the guest's cart token lives in this session.
    if request is not None:
        services.cart_merge_guest_into_user(user=user, session=request.session)


@receiver(order_shipped, dispatch_uid="orders_shipped_email")
def enqueue_shipped_email(sender, order_id, **kwargs):
    tasks.send_order_shipped.delay(order_id)
