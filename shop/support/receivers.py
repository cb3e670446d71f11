"""LINE messages to the official account become inquiries (the notifications app receives them, below us)."""

from django.dispatch import receiver

from shop.notifications.signals import line_message_received

from . import tasks


@receiver(line_message_received, dispatch_uid="support_inquiry_from_line")
def enqueue_inquiry_from_line(sender, line_user_id, user, text, event, **kwargs):
    event_id = (event or {}).get("webhookEventId") or ((event or {}).get("message") or {}).get("id", "")
    tasks.inquiry_from_line_message.delay(line_user_id, text, user.pk if user is not None else None, str(event_id))
