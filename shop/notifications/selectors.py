"""Reads: preferences, LINE links, the marketing rules (consent, weekly cap, quiet hours) and what is due to send."""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db.models import Q
from django.urls import reverse

from shop.accounts.models import Consent
from shop.accounts.privacy_selectors import consent_current

from .kinds import GROUPS, KindGroup
from .models import Channel, LineLink, Notification, NotificationSettings, Preference

# Quiet hours are Japanese evenings and nights whatever TIME_ZONE the server runs in.
JST = ZoneInfo("Asia/Tokyo")
CAP_WINDOW = datetime.timedelta(days=7)
# A row still "sending" this long after a worker claimed it belongs to a worker that died mid-send.
SENDING_TIMEOUT = datetime.timedelta(minutes=10)
UNSUBSCRIBE_SALT = "notifications.unsubscribe"

# Rows that are or will be delivered: they count against the weekly cap.
_COUNTED = [
    Notification.Status.PENDING,
    Notification.Status.SENDING,
    Notification.Status.SENT,
    Notification.Status.HELD,
    Notification.Status.FAILED,
]


def preferences_of(*, user) -> dict[tuple[str, str], bool]:
    return {(row.group, row.channel): row.enabled for row in Preference.objects.filter(user=user)}


def preference_enabled(*, group: KindGroup, channel: str, preferences: dict[tuple[str, str], bool]) -> bool:
    """No row means on: transactional messages are wanted by default, and marketing is gated by the marketing
    consent as well, which is off until the user opts in."""
    if channel in group.locked:
        return True
    return preferences.get((group.code, channel), True)


def marketing_consented(*, user) -> bool:
    return user is not None and consent_current(user=user, purpose=Consent.Purpose.MARKETING)


def line_user_id_of(*, user) -> str:
    if user is None:
        return ""
    return LineLink.objects.filter(user=user).values_list("line_user_id", flat=True).first() or ""


def line_configured() -> bool:
    return bool(settings.LINE_CHANNEL_ACCESS_TOKEN)


def marketing_count_in_window(*, user, now: datetime.datetime) -> int:
    """Marketing messages (not rows: one message may go by e-mail and LINE) created for the user in the 7 days
    up to now."""
    return (
        Notification.objects.filter(
            user=user,
            is_marketing=True,
            status__in=_COUNTED,
            created_at__gt=now - CAP_WINDOW,
            created_at__lte=now,
        )
        .values("batch_key")
        .distinct()
        .count()
    )


def quiet_hours_end(*, now: datetime.datetime, config: NotificationSettings | None = None) -> datetime.datetime | None:
    """The end of the quiet hours `now` falls in (the next 09:00 JST), or None outside them."""
    config = config or NotificationSettings.load()
    start, end = config.quiet_start, config.quiet_end
    local = now.astimezone(JST)
    clock = local.time()
    quiet = (clock >= start or clock < end) if start > end else (start <= clock < end)
    if not quiet:
        return None
    until = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if until <= local:
        until += datetime.timedelta(days=1)
    return until


def notification_due(*, notification: Notification, now: datetime.datetime) -> bool:
    """Whether a delivery attempt may start now (the claim in tasks checks this under the row lock)."""
    status = notification.status
    if status == Notification.Status.PENDING:
        return (notification.next_attempt_at is None or notification.next_attempt_at <= now) and (
            notification.not_before is None or notification.not_before <= now
        )
    if status == Notification.Status.HELD:
        return notification.not_before is None or notification.not_before <= now
    if status == Notification.Status.FAILED:
        return notification.next_attempt_at is not None and notification.next_attempt_at <= now
    if status == Notification.Status.SENDING:
        return notification.claimed_at is None or notification.claimed_at <= now - SENDING_TIMEOUT
    return False


def notification_ids_due(*, now: datetime.datetime, limit: int = 500) -> list[int]:
    """What the sweeper delivers: pending rows (their task was lost or never published), held rows whose quiet
    hours are over, failed rows whose backoff has passed, and rows a dead worker left in "sending"."""
    Status = Notification.Status
    not_waiting = Q(not_before__isnull=True) | Q(not_before__lte=now)
    due = (
        Q(status=Status.PENDING, next_attempt_at__isnull=True) & not_waiting
        | Q(status=Status.PENDING, next_attempt_at__lte=now) & not_waiting
        | Q(status=Status.HELD) & not_waiting
        | Q(status=Status.FAILED, next_attempt_at__lte=now)
        | Q(status=Status.SENDING, claimed_at__lte=now - SENDING_TIMEOUT)
    )
    return list(Notification.objects.filter(due).order_by("created_at", "id").values_list("id", flat=True)[:limit])


# --- Links in messages ----------------------------------------------------------------------------------------------


def site_url() -> str:
    """Absolute base for links in messages (there is no request in a worker)."""
    if settings.SITE_URL:
        return settings.SITE_URL.rstrip("/")
    from django.contrib.sites.models import Site

    return f"https://{Site.objects.get_current().domain}"


def unsubscribe_token(*, user_id: int, group: str, channel: str) -> str:
    # No expiry: the link in a message from last year must still work.
    return signing.dumps({"u": user_id, "g": group, "c": channel}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_token_read(*, token: str) -> dict | None:
    """{"user_id", "group", "channel"} from a token, or None if it was not made by this shop."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("g") not in GROUPS or data.get("c") not in Channel.values:
        return None
    return {"user_id": data.get("u"), "group": data["g"], "channel": data["c"]}


def unsubscribe_url(*, user_id: int, group: str, channel: str) -> str:
    token = unsubscribe_token(user_id=user_id, group=group, channel=channel)
    return site_url() + reverse("notifications:unsubscribe", kwargs={"token": token})


# --- The account page -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreferenceCell:
    name: str
    channel: str
    channel_label: str
    enabled: bool
    locked: bool


@dataclass(frozen=True)
class PreferenceRow:
    group: KindGroup
    cells: list[PreferenceCell]


def preference_grid(*, user) -> list[PreferenceRow]:
    preferences = preferences_of(user=user)
    rows = []
    for group in GROUPS.values():
        if not group.listed:
            continue
        cells = [
            PreferenceCell(
                name=f"{group.code}:{channel}",
                channel=channel,
                channel_label=str(label),
                enabled=preference_enabled(group=group, channel=channel, preferences=preferences),
                locked=channel in group.locked,
            )
            for channel, label in Channel.choices
        ]
        rows.append(PreferenceRow(group=group, cells=cells))
    return rows
