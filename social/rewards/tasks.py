"""Celery tasks of share rewards. They take ids and call services that can run any number of times."""

from celery import shared_task

from . import services


@shared_task
def tally_for_order(order_id: int) -> dict[str, int]:
    return services.share_purchases_record_for_order(order_id=order_id)


@shared_task
def tally_share_rewards() -> dict[str, int]:
    return services.share_rewards_tally()
