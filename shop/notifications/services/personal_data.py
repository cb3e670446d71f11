"""This app's part of the privacy export and of account deletion (registered with shop.accounts in apps.py)."""

from ..models import LineLink, LineLinkCode, Notification, Preference, Unsubscribe
from .outbox import CANCEL_ANONYMISED

Status = Notification.Status


def personal_data_export(*, user) -> list[dict]:
    rows: list[dict] = [
        {"type": "preference", "group": row.group, "channel": row.channel, "enabled": row.enabled}
        for row in Preference.objects.filter(user=user).order_by("group", "channel")
    ]
    link = LineLink.objects.filter(user=user).first()
    if link is not None:
        rows.append({"type": "line_link", "line_user_id": link.line_user_id, "linked_at": link.linked_at.isoformat()})
    rows += [
        {
            "type": "unsubscribe",
            "group": row.group,
            "channel": row.channel,
            "reason": row.reason,
            "at": row.created_at.isoformat(),
        }
        for row in Unsubscribe.objects.filter(user=user).order_by("created_at")
    ]
    rows += [
        {
            "type": "notification",
            "kind": row.kind,
            "channel": row.channel,
            "status": row.status,
            "subject": row.subject,
            "created_at": row.created_at.isoformat(),
        }
        for row in Notification.objects.filter(user=user).order_by("created_at", "id")
    ]
    return rows


def personal_data_anonymise(*, user) -> None:
    """The account is being deleted: unlink LINE, stop anything waiting, keep the log rows without content."""
    LineLink.objects.filter(user=user).delete()
    LineLinkCode.objects.filter(user=user).delete()
    Notification.objects.filter(user=user, status__in=[Status.PENDING, Status.HELD, Status.FAILED]).update(
        status=Status.CANCELLED, last_error_type=CANCEL_ANONYMISED, next_attempt_at=None
    )
    Notification.objects.filter(user=user).update(
        recipient="", subject="", body_text="", body_html="", line_messages=[], unsubscribe_url=""
    )
