"""Celery tasks: thin wrappers that take ids and call services (idempotent: a repeat changes nothing)."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def deliver(notification_id: int) -> str:
    return services.notification_deliver(notification_id=notification_id)


@shared_task(ignore_result=True)
def sweep_outbox() -> dict[str, int]:
    return services.notifications_sweep()
