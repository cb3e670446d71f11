import logging

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from shop.orders.signals import order_paid, order_refunded

from . import services, tasks
from .cookies import visitor_key

logger = logging.getLogger(__name__)


@receiver(order_paid, dispatch_uid="shares_attribution_on_paid")
def enqueue_attribution_confirm(sender, order_id, **kwargs):
    tasks.attribution_confirm.delay(order_id)


@receiver(order_refunded, dispatch_uid="shares_attribution_on_refunded")
def enqueue_attribution_reverse(sender, order_id, **kwargs):
    # The task checks for a full refund itself; a partial one leaves the attribution as it is.
    tasks.attribution_reverse.delay(order_id)


@receiver(user_logged_in, dispatch_uid="shares_known_device_on_login")
def remember_known_device(sender, request, user, **kwargs):
    # One small insert inline (a task would need the request): the browser is only known from its cookie.
    if request is None:
        return
    key, new = visitor_key(request)
    if new:
        # A browser that never opened a share link gets its visitor id now (ShareAttributionMiddleware sets the
        # cookie), so a later purchase from it through this member's own link is recognised.
        request.new_visitor_key = key
    try:
        services.known_device_record(user=user, visitor_key=key, ip=request.META.get("REMOTE_ADDR"))
    except Exception:  # a fraud signal must never stop a sign-in
        logger.exception("Could not record the browser of user %s", user.pk)
