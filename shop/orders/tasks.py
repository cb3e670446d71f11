from celery import shared_task

from . import emails, services


@shared_task
def send_order_shipped(order_id: int) -> bool:
    return emails.order_shipped_notice_send(order_id=order_id)


@shared_task
def release_expired_reservations() -> int:
    return services.order_release_expired_reservations()
