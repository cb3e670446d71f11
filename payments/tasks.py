from celery import shared_task

from . import emails, services


# OSError covers SMTP failures and refused connections; the claim was rolled back, so a retry sends the mail.
@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_order_confirmation(order_id: int) -> None:
    emails.order_confirmation_send(order_id=order_id)


@shared_task
def reconcile_payments() -> int:
    return services.payments_reconcile()


@shared_task
def cancel_open_payments(order_id: int) -> int:
    return services.payments_cancel_open(order_id=order_id)
