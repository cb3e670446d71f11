from celery import shared_task

from . import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def product_image_make_renditions(image_id: int) -> None:
    services.product_image_make_renditions(image_id=image_id)
