from celery import shared_task

from . import emails, reminders, services


@shared_task
def send_order_confirmation(order_id: int) -> bool:
    return emails.order_confirmation_enqueue(order_id=order_id)


@shared_task
def send_due_confirmations() -> int:
    return emails.order_confirmations_catch_up()


@shared_task
def send_payment_reminders() -> int:
    return reminders.bank_transfer_reminders_send()


@shared_task
def reconcile_payments() -> int:
    return services.payments_reconcile()


@shared_task
def cancel_open_payments(order_id: int) -> int:
    return services.payments_cancel_open(order_id=order_id)
