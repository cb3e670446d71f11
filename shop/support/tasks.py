from celery import shared_task
from django.contrib.auth import get_user_model

from . import services


@shared_task(ignore_result=True)
def inquiry_from_line_message(line_user_id: str, text: str, user_id: int | None = None, event_id: str = "") -> None:
    """A text message to the official account that is not a link code. Idempotent by the webhook event id."""
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    services.inquiry_from_line(line_user_id=line_user_id, text=text, user=user, event_id=event_id)
