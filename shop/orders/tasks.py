from celery import shared_task

from . import emails, services


# OSError covers SMTP failures and refused connections; the marker event was rolled back, so a retry sends the mail.
@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_order_shipped(order_id: int) -> None:
    emails.order_shipped_email_send(order_id=order_id)


@shared_task
def release_expired_reservations() -> int:
    return services.order_release_expired_reservations()
