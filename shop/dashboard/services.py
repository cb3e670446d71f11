"""Writes of the dashboard: the calendar's preset events and the incident record (checklist, notices)."""

import datetime

from django.db import transaction
from django.utils import timezone

from shop.notifications.services import notification_enqueue

from .calendar_presets import presets_between
from .models import CalendarEvent, Incident, IncidentNotice

INCIDENT_NOTICE_KIND = "incident_notice"


def calendar_prefill(*, start: datetime.date, end: datetime.date) -> int:
    """Adds the yearly retail events between the dates; ones added before (by their preset key) are kept as
    staff left them. Returns how many were added."""
    presets = presets_between(start, end)
    with transaction.atomic():
        existing = set(
            CalendarEvent.objects.filter(preset_key__in=[p.key for p in presets]).values_list("preset_key", flat=True)
        )
        rows = [
            CalendarEvent(
                title=preset.title,
                kind=preset.kind,
                starts_on=preset.starts_on,
                ends_on=preset.ends_on,
                notes=preset.notes,
                preset_key=preset.key,
            )
            for preset in presets
            if preset.key not in existing
        ]
        CalendarEvent.objects.bulk_create(rows)
    return len(rows)


def incident_steps_update(*, incident: Incident, done: dict[str, bool], actor) -> list[str]:
    """Ticks (or unticks) checklist steps: a newly ticked step records now and who; returns the steps changed."""
    prefixes = {prefix for prefix, _label in Incident.STEPS}
    changed = []
    now = timezone.now()
    with transaction.atomic():
        for prefix, is_done in done.items():
            if prefix not in prefixes:
                raise ValueError(f"Unknown incident step {prefix!r}")
            was_done = getattr(incident, f"{prefix}_done_at") is not None
            if is_done and not was_done:
                setattr(incident, f"{prefix}_done_at", now)
                setattr(incident, f"{prefix}_done_by", actor)
                changed.append(prefix)
            elif was_done and not is_done:
                setattr(incident, f"{prefix}_done_at", None)
                setattr(incident, f"{prefix}_done_by", None)
                changed.append(prefix)
        incident.save()
    return changed


def incident_notify_affected(*, incident_id: int, actor) -> int:
    """Sends the incident's customer notice to every affected customer not notified yet (e-mail, and LINE when linked),
    through the notification outbox, and logs each message sent. A second call sends nothing new.
    Returns how many messages were written."""
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident_id)
        if not incident.customer_notice.strip():
            raise ValueError("The incident has no notice text to send")
        notified = set(incident.notices.values_list("customer_id", flat=True))
        written = 0
        for customer in incident.affected_customers.exclude(pk__in=notified).order_by("pk"):
            rows = notification_enqueue(
                kind=INCIDENT_NOTICE_KIND,
                user=customer,
                context={"incident_title": incident.title, "notice_text": incident.customer_notice},
                dedupe_key=f"incident:{incident.pk}:user:{customer.pk}",
                source=f"incident:{incident.pk}",
            )
            IncidentNotice.objects.bulk_create(
                [
                    IncidentNotice(
                        incident=incident,
                        customer=customer,
                        channel=row.channel,
                        recipient=row.recipient,
                        status=row.status,
                        notification_id=row.pk,
                        sent_by=actor,
                    )
                    for row in rows
                ],
                ignore_conflicts=True,
            )
            written += len(rows)
    return written
