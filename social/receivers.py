from django.dispatch import receiver

from shop.reviews.signals import review_hidden, review_published

from . import tasks


@receiver(review_published, dispatch_uid="social_review_post_on_publish")
@receiver(review_hidden, dispatch_uid="social_review_post_on_hide")
def enqueue_review_post_sync(sender, review_id, **kwargs):
    tasks.sync_review_post.delay(review_id)
