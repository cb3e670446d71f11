from celery import shared_task

from . import services


@shared_task
def attribution_confirm(order_id: int) -> str | None:
    return services.attribution_confirm(order_id=order_id)


@shared_task
def attribution_reverse(order_id: int) -> str | None:
    return services.attribution_reverse(order_id=order_id)


@shared_task
def tally_attribution() -> dict[str, int]:
    return services.attribution_tally()
