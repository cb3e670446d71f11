"""Preferences from the account page and unsubscribes from the links in messages."""

from django.db import transaction

from shop.accounts.models import Consent
from shop.accounts.privacy_services import consent_record

from ..kinds import GROUPS, KINDS, MARKETING_GROUP
from ..models import Channel, Notification, Preference, Unsubscribe
from .outbox import SKIP_PREFERENCE

Status = Notification.Status


def preferences_save(*, user, choices: dict[tuple[str, str], bool], marketing_consent: bool | None = None) -> None:
    """Store the account page's grid; locked channels and unknown groups are ignored. A change of the marketing
    consent is recorded in the consent history (shop.accounts)."""
    with transaction.atomic():
        for (group_code, channel), enabled in choices.items():
            group = GROUPS.get(group_code)
            if group is None or not group.listed or channel not in Channel.values or channel in group.locked:
                continue
            Preference.objects.update_or_create(
                user=user, group=group_code, channel=channel, defaults={"enabled": bool(enabled)}
            )
        if marketing_consent is not None:
            consent_record(
                user=user, purpose=Consent.Purpose.MARKETING, granted=marketing_consent, source="account_notifications"
            )


def notification_unsubscribe(
    *, user, group: str, channel: str, reason: str = "", comment: str = "", source: str = ""
) -> Unsubscribe:
    """Turn the group off on that channel, record why, and cancel what is still waiting to go out."""
    if group not in GROUPS or channel not in Channel.values:
        raise ValueError("Unknown group or channel")
    if reason and reason not in Unsubscribe.Reason.values:
        reason = Unsubscribe.Reason.OTHER
    with transaction.atomic():
        Preference.objects.update_or_create(user=user, group=group, channel=channel, defaults={"enabled": False})
        waiting = Notification.objects.filter(
            user=user, channel=channel, status__in=[Status.PENDING, Status.HELD, Status.FAILED]
        )
        waiting = waiting.filter(is_marketing=True) if group == MARKETING_GROUP else waiting.filter(is_marketing=False)
        if group != MARKETING_GROUP:
            waiting = waiting.filter(kind__in=_kinds_of(group))
        waiting.update(status=Status.CANCELLED, last_error_type=SKIP_PREFERENCE, next_attempt_at=None)
        return Unsubscribe.objects.create(
            user=user, group=group, channel=channel, reason=reason, comment=comment[:2000], source=source[:100]
        )


def _kinds_of(group: str) -> list[str]:
    return [kind for kind, code in KINDS.items() if code == group]
