from celery import shared_task

from . import services


@shared_task
def publish_scheduled_posts() -> int:
    return services.posts_publish_due()
