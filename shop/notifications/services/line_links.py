"""Linking shop users to LINE: one-time codes sent to the official account, LINE Login, the webhook's events."""

import datetime
import secrets
from functools import partial

from django.db import transaction
from django.utils import timezone

from .. import signals
from ..models import Channel, LineLink, LineLinkCode
from .outbox import notification_enqueue

LINK_CODE_LIFETIME = datetime.timedelta(minutes=30)


def line_link_code_create(*, user, now: datetime.datetime | None = None) -> LineLinkCode:
    """A fresh 6-digit code for the user to send to the official account; earlier codes stop working."""
    now = now or timezone.now()
    with transaction.atomic():
        LineLinkCode.objects.filter(user=user).delete()
        while True:
            code = f"{secrets.randbelow(1_000_000):06d}"
            if not LineLinkCode.objects.filter(code=code, expires_at__gt=now).exists():
                break
        return LineLinkCode.objects.create(user=user, code=code, expires_at=now + LINK_CODE_LIFETIME, created_at=now)


def line_link_set(*, user, line_user_id: str, source: str, now: datetime.datetime | None = None) -> LineLink:
    """Link the user to this LINE account. A LINE account belongs to one shop user: an older link moves here."""
    now = now or timezone.now()
    with transaction.atomic():
        LineLink.objects.filter(line_user_id=line_user_id).exclude(user=user).delete()
        link, _created = LineLink.objects.update_or_create(
            user=user, defaults={"line_user_id": line_user_id, "source": source, "linked_at": now}
        )
    return link


def line_link_by_code(*, line_user_id: str, text: str, now: datetime.datetime | None = None) -> LineLink | None:
    """A message to the official account that is a valid link code links its sender; anything else is ignored."""
    now = now or timezone.now()
    code = "".join(text.split())
    if len(code) != 6 or not code.isdigit():
        return None
    with transaction.atomic():
        found = (
            LineLinkCode.objects.select_for_update()
            .select_related("user")
            .filter(code=code, expires_at__gt=now)
            .first()
        )
        if found is None:
            return None
        user = found.user
        found.delete()
        link = line_link_set(user=user, line_user_id=line_user_id, source=LineLink.Source.CODE, now=now)
        notification_enqueue(
            kind="line_linked",
            user=user,
            context={},
            dedupe_key=f"line_linked:{link.pk}:{int(now.timestamp())}",
            channels=[Channel.LINE],
            now=now,
        )
    return link


def line_unlink(*, line_user_id: str = "", user=None) -> int:
    """Unfollowing the official account (or the user's own choice) removes the link."""
    links = LineLink.objects.all()
    if line_user_id:
        links = links.filter(line_user_id=line_user_id)
    elif user is not None:
        links = links.filter(user=user)
    else:
        return 0
    deleted, _by_model = links.delete()
    return deleted


def line_webhook_events_handle(*, events: list[dict], now: datetime.datetime | None = None) -> None:
    """Events from the official account's webhook (already verified): follow, unfollow and link-code messages."""
    for event in events:
        source = event.get("source") or {}
        line_user_id = source.get("userId") if source.get("type") == "user" else None
        if not line_user_id:
            continue
        event_type = event.get("type")
        if event_type == "unfollow":
            line_unlink(line_user_id=line_user_id)
        elif event_type == "message":
            message = event.get("message") or {}
            if message.get("type") != "text":
                continue
            text = str(message.get("text", ""))
            if line_link_by_code(line_user_id=line_user_id, text=text, now=now) is None:
                _line_message_announce(line_user_id=line_user_id, text=text, event=event)


def _line_message_announce(*, line_user_id: str, text: str, event: dict) -> None:
    """Other apps (support inquiries) hear about messages to the official account through a signal of this app."""
    link = LineLink.objects.select_related("user").filter(line_user_id=line_user_id).first()
    user = link.user if link is not None else None
    transaction.on_commit(
        partial(
            signals.line_message_received.send,
            sender=LineLink,
            line_user_id=line_user_id,
            user=user,
            text=text,
            event=event,
        ),
        robust=True,
    )
