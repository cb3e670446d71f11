from celery import shared_task

from . import services


# OSError covers SMTP failures; the ReviewRequest row was rolled back, so a retry sends the e-mail.
@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_review_request(order_id: int) -> None:
    services.review_request_send(order_id=order_id)
