from celery import shared_task

from . import privacy_services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def build_personal_data_export(request_id: int) -> None:
    """Idempotent: a request already built (or rejected) is left alone on a retry or a second delivery."""
    privacy_services.privacy_export_build(request_id=request_id)
