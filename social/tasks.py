from celery import shared_task

from . import digest, services


@shared_task
def publish_scheduled_posts() -> int:
    return services.posts_publish_due()


@shared_task
def sync_review_post(review_id: int) -> None:
    services.review_post_sync(review_id=review_id)


@shared_task
def send_social_digest() -> int:
    return digest.social_digests_send()
