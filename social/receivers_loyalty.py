"""Following the shop earns the welcome coupon (loyalty is a layer below social, so social tells it)."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from loyalty import tasks as loyalty_tasks

from .models import Follow


@receiver(post_save, sender=Follow, dispatch_uid="social_follow_shop_welcome_coupon")
def enqueue_welcome_coupon(sender, instance, created, raw=False, **kwargs):
    if created and instance.followee_id is None and not raw:
        user_id = instance.follower_id
        transaction.on_commit(lambda: loyalty_tasks.issue_welcome_coupon.delay(user_id))
