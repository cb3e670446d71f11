"""Celery tasks of recommendations; they take ids (or nothing) and call services that can run any number of times."""

from celery import shared_task
from django.core.cache import cache

from . import services

REBUILD_QUEUED_KEY = "recommend:rebuild-queued"
# After a paid order the lists are rebuilt at most once a minute, however many orders come in.
REBUILD_DELAY = 60


@shared_task
def rebuild_recommendations() -> dict:
    cache.delete(REBUILD_QUEUED_KEY)
    result = services.recommendations_rebuild()
    return {"rows": result.rows, "seconds": round(result.seconds, 3)}


def rebuild_soon() -> None:
    """Queues one rebuild a minute from now unless one is already queued."""
    if cache.add(REBUILD_QUEUED_KEY, 1, timeout=REBUILD_DELAY * 5):
        rebuild_recommendations.apply_async(countdown=REBUILD_DELAY)


@shared_task
def rebuild_after_order(order_id: int) -> None:
    rebuild_soon()
