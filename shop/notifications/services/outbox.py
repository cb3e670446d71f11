"""The outbox: enqueue (in the caller's transaction), deliver (claim, send, record), sweep and staff retries.

A notification is written to the outbox in the caller's transaction and published to Celery only after that
transaction commits. If the broker is down the row stays pending and the sweeper (beat task or
`manage.py send_pending_notifications`) delivers it later, so nothing is lost and nothing is sent twice.
"""

import datetime
import logging
from functools import partial

import redis.exceptions
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from kombu.exceptions import KombuError

from .. import channels, selectors
from ..channels import DeliveryError
from ..kinds import GROUPS, MARKETING_GROUP, kind_group
from ..models import Channel, LineLinkCode, Notification, NotificationSettings
from ..rendering import language_for, render_channel

logger = logging.getLogger(__name__)

Status = Notification.Status
MAX_BACKOFF = datetime.timedelta(hours=6)

# Why a row was written as skipped or later cancelled (last_error_type); shown in the delivery log.
SKIP_NO_CONSENT = "no_consent"
SKIP_PREFERENCE = "preference_off"
SKIP_WEEKLY_CAP = "weekly_cap"
CANCEL_UNLINKED = "line_unlinked"
CANCEL_ANONYMISED = "account_deleted"


def _targets(*, user, email: str | None, channels_wanted) -> list[tuple[str, str]]:
    """(channel, recipient) for every channel the message can reach, in the order asked."""
    wanted = list(channels_wanted) if channels_wanted is not None else list(Channel.values)
    targets = []
    for channel in wanted:
        if channel == Channel.EMAIL:
            address = email or (user.email if user is not None else "")
            if address:
                targets.append((channel, address))
        elif channel == Channel.LINE:
            line_user_id = selectors.line_user_id_of(user=user)
            if line_user_id and selectors.line_configured():
                targets.append((channel, line_user_id))
        else:
            raise ValueError(f"Unknown channel {channel!r}")
    return targets


def _marketing_block(*, user, now: datetime.datetime, cap_per_week: int | None, config) -> str:
    if user is None or not selectors.marketing_consented(user=user):
        return SKIP_NO_CONSENT
    cap = config.marketing_cap_per_week if cap_per_week is None else cap_per_week
    if selectors.marketing_count_in_window(user=user, now=now) >= cap:
        return SKIP_WEEKLY_CAP
    return ""


def _publish(notification_id: int) -> None:
    """Hand the row to a worker. A broker that is down must not fail the caller: the sweeper sends the row."""
    from .. import tasks

    try:
        # Celery's default publish retry policy gives up after about 0.6 s with Redis down (measured; retry=False
        # was slower, 6 s, as redis-py then retries the connection itself), so a web request is not held long.
        tasks.deliver.apply_async((notification_id,))
    except (KombuError, redis.exceptions.RedisError, OSError) as error:
        logger.warning("Notification %s left pending for the sweeper: broker unavailable (%s)", notification_id, error)


def notification_enqueue(
    *,
    kind: str,
    user=None,
    email: str | None = None,
    context: dict,
    dedupe_key: str,
    channels: list[str] | None = None,
    is_marketing: bool = False,
    template: str | None = None,
    source: str = "",
    cap_per_week: int | None = None,
    now: datetime.datetime | None = None,
) -> list[Notification]:
    """Write one outbox row per channel that can reach the recipient, in the caller's transaction.

    kind: a key from kinds.KINDS (its preference group); template: the folder under templates/notifications/
    (defaults to kind). channels: restrict to these (default: e-mail, and LINE when linked). The same dedupe_key
    twice writes nothing new and returns the first rows. Marketing needs the user's marketing consent, respects
    the per-channel preferences and the weekly cap (cap_per_week overrides the shop's), and is held until 09:00 JST
    when written in quiet hours; a blocked message is kept as a "skipped" row with the reason.
    """
    if not dedupe_key:
        raise ValueError("A notification needs a dedupe key")
    now = now or timezone.now()
    group = kind_group(kind=kind, is_marketing=is_marketing)
    if user is not None and getattr(user, "anonymised_at", None):
        return []
    config = NotificationSettings.load()
    folder = template or kind
    with transaction.atomic():
        existing = list(Notification.objects.filter(batch_key=dedupe_key).order_by("id"))
        if existing:
            return existing
        targets = _targets(user=user, email=email, channels_wanted=channels)
        if not targets:
            return []
        if is_marketing and user is not None:
            # One writer per user, so two campaigns at once cannot both pass the weekly cap.
            get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        blocked = _marketing_block(user=user, now=now, cap_per_week=cap_per_week, config=config) if is_marketing else ""
        hold_until = selectors.quiet_hours_end(now=now, config=config) if is_marketing else None
        preferences = selectors.preferences_of(user=user) if user is not None else {}
        language = language_for(user=user, context=context)
        rows = []
        for channel, recipient in targets:
            row = Notification(
                user=user,
                channel=channel,
                kind=kind,
                is_marketing=is_marketing,
                dedupe_key=f"{dedupe_key}:{channel}",
                batch_key=dedupe_key,
                recipient=recipient,
                language=language,
                source=source[:100],
                created_at=now,
            )
            reason = blocked
            if not reason and user is not None:
                if not selectors.preference_enabled(group=group, channel=channel, preferences=preferences):
                    reason = SKIP_PREFERENCE
            if reason:
                row.status = Status.SKIPPED
                row.last_error_type = reason
            else:
                unsubscribe_url = ""
                if is_marketing:
                    unsubscribe_url = selectors.unsubscribe_url(user_id=user.pk, group=group.code, channel=channel)
                full_context = {
                    "shop_name": settings.SHOP_NAME,
                    "site_url": selectors.site_url(),
                    "user": user,
                    "unsubscribe_url": unsubscribe_url,
                    "is_marketing": is_marketing,
                    **context,
                }
                rendered = render_channel(folder=folder, channel=channel, language=language, context=full_context)
                row.subject = rendered.subject
                row.body_text = rendered.body_text
                row.body_html = rendered.body_html
                row.line_messages = rendered.line_messages
                row.unsubscribe_url = unsubscribe_url
                row.status = Status.HELD if hold_until else Status.PENDING
                row.not_before = hold_until
            rows.append(row)
        try:
            with transaction.atomic():  # a savepoint: a concurrent twin must not break the caller's transaction
                Notification.objects.bulk_create(rows)
        except IntegrityError:
            return list(Notification.objects.filter(batch_key=dedupe_key).order_by("id"))
        for row in rows:
            if row.status == Status.PENDING:
                transaction.on_commit(partial(_publish, row.pk), robust=True)
    return rows


# --- Delivery ---------------------------------------------------------------------------------------------------------


def _backoff(attempts: int) -> datetime.timedelta:
    """30 s, 2 min, 8 min, 32 min, about 2 h, then 6 h."""
    return min(datetime.timedelta(seconds=30 * 4 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _cancel_reason(row: Notification) -> str:
    """Something changed since the row was written that means it must not go out any more."""
    user = row.user
    if user is not None and user.anonymised_at:
        return CANCEL_ANONYMISED
    if row.channel == Channel.LINE and user is not None and selectors.line_user_id_of(user=user) != row.recipient:
        return CANCEL_UNLINKED
    if row.is_marketing:
        if not selectors.marketing_consented(user=user):
            return SKIP_NO_CONSENT
        preferences = selectors.preferences_of(user=user)
        if not selectors.preference_enabled(
            group=GROUPS[MARKETING_GROUP], channel=row.channel, preferences=preferences
        ):
            return SKIP_PREFERENCE
    return ""


def notification_deliver(*, notification_id: int, now: datetime.datetime | None = None) -> str:
    """Send one row if it is due; returns its status afterwards.

    The claim (status "sending") is committed before the provider is called, so a second worker or a redelivered
    task finds nothing to claim, and a row already sent is never sent again. If this process dies mid-send the
    row stays "sending"; the sweeper retries it after SENDING_TIMEOUT. LINE drops the repeat thanks to the
    X-Line-Retry-Key; for e-mail a crash between the SMTP server accepting the message and the commit below can
    cause one duplicate, which we accept rather than risk losing an order confirmation.
    """
    now = now or timezone.now()
    config = NotificationSettings.load()
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .filter(pk=notification_id)
            .first()
        )
        if row is None:
            return "locked"  # another worker holds it, or it is gone
        if not selectors.notification_due(notification=row, now=now):
            return row.status
        if row.status == Status.SENDING and row.attempts >= config.max_attempts:
            row.status = Status.FAILED
            row.next_attempt_at = None
            row.save(update_fields=["status", "next_attempt_at"])
            return row.status
        if row.is_marketing and (until := selectors.quiet_hours_end(now=now, config=config)):
            row.status, row.not_before = Status.HELD, until
            row.save(update_fields=["status", "not_before"])
            return row.status
        if reason := _cancel_reason(row):
            row.status, row.last_error_type, row.next_attempt_at = Status.CANCELLED, reason, None
            row.save(update_fields=["status", "last_error_type", "next_attempt_at"])
            return row.status
        row.status, row.claimed_at, row.attempts = Status.SENDING, now, row.attempts + 1
        row.save(update_fields=["status", "claimed_at", "attempts"])
    claimed = Notification.objects.filter(pk=row.pk, status=Status.SENDING, claimed_at=row.claimed_at)
    try:
        channels.send(row)
    except DeliveryError as error:
        return _record_failure(claimed, row, error, now=now, config=config)
    except Exception as error:
        # Whatever a provider SDK raises is recorded on the row and retried; the traceback goes to the log.
        logger.exception("Sending notification %s failed", row.pk)
        return _record_failure(claimed, row, DeliveryError(type(error).__name__, str(error)), now=now, config=config)
    claimed.update(status=Status.SENT, sent_at=now, next_attempt_at=None)
    return Status.SENT


def _record_failure(claimed, row: Notification, error: DeliveryError, *, now, config) -> str:
    give_up = error.permanent or row.attempts >= config.max_attempts
    claimed.update(
        status=Status.FAILED,
        last_error_type=error.error_type[:100],
        last_error_message=error.message[:2000],
        next_attempt_at=None if give_up else now + _backoff(row.attempts),
    )
    logger.warning(
        "Notification %s (%s to %s) failed, attempt %s%s: %s %s",
        row.pk,
        row.channel,
        row.recipient,
        row.attempts,
        " (giving up)" if give_up else "",
        error.error_type,
        error.message[:200],
    )
    return Status.FAILED


def notifications_sweep(*, now: datetime.datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Deliver everything due that no task is handling (see selectors.notification_ids_due). Returns counts by
    resulting status."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for notification_id in selectors.notification_ids_due(now=now, limit=limit):
        status = notification_deliver(notification_id=notification_id, now=now)
        counts[status] = counts.get(status, 0) + 1
    LineLinkCode.objects.filter(expires_at__lt=now - datetime.timedelta(days=1)).delete()
    return counts


def notifications_retry(*, notification_ids, now: datetime.datetime | None = None) -> int:
    """Staff's "retry now": failed rows (even given up) are sent again at once, one more attempt each."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update()
            .filter(pk__in=list(notification_ids), status=Status.FAILED)
            .values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=ids).update(status=Status.PENDING, next_attempt_at=None)
        for notification_id in ids:
            transaction.on_commit(partial(_publish, notification_id), robust=True)
    return len(ids)
