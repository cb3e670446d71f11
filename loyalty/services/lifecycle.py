"""Lifecycle messages (F47): the follow-up a few days after delivery ("お気に召しましたか"), the first-order
anniversary, and invitations to shop events.

Everything goes through the notifications outbox, so the member's preferences apply to all three; the anniversary
and invitations are marketing (marketing consent, weekly cap, held through quiet hours by the outbox). The follow-up
is a service message the member can switch off ("Follow-ups after delivery"); it is not urgent, so it is not
written during quiet hours at all: the next run after 09:00 JST writes it. Each message has a dedupe key naming its
cause, so a second run, a retried task or two workers at once send nothing more.
"""

import datetime
import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone

from shop.notifications.models import Notification
from shop.notifications.selectors import JST, quiet_hours_end, site_url
from shop.notifications.services import notification_enqueue
from shop.orders.models import Order

from ..models import EventInvitation, LifecycleSettings
from ..selectors.campaigns import NOT_BOUGHT, segment_users

logger = logging.getLogger(__name__)

FOLLOW_UP_KIND = "purchase_follow_up"
ANNIVERSARY_KIND = "order_anniversary"
INVITATION_KIND = "event_invitation"


def _absolute(path: str) -> str:
    return path if path.startswith(("http://", "https://")) else site_url() + path


def _not_sent(prefix: str, ref: str):
    """Orders or users without an outbox message whose key is prefix + the row's id."""
    key = Concat(Value(prefix), Cast(OuterRef(ref), output_field=CharField()), output_field=CharField())
    return ~Exists(Notification.objects.filter(batch_key=key))


# --- Follow-up after delivery ---------------------------------------------------------------------------------------


def follow_up_order_ids_due(*, now: datetime.datetime, config: LifecycleSettings) -> list[int]:
    due_before = now - datetime.timedelta(days=config.follow_up_days)
    too_late = due_before - datetime.timedelta(days=config.follow_up_max_late_days)
    return list(
        Order.objects.filter(
            status=Order.Status.DELIVERED,
            delivered_at__lte=due_before,
            delivered_at__gt=too_late,
            user__isnull=False,
            user__is_active=True,
            user__anonymised_at__isnull=True,
        )
        .filter(_not_sent(f"{FOLLOW_UP_KIND}:", "pk"))
        .order_by("delivered_at", "pk")
        .values_list("pk", flat=True)
    )


def follow_up_send(*, order_id: int, now: datetime.datetime | None = None) -> int:
    """The follow-up for one delivered order, once; returns the outbox rows written now (or found)."""
    now = now or timezone.now()
    order = Order.objects.select_related("user").filter(pk=order_id, user__isnull=False).first()
    if order is None:
        return 0
    products = []
    for line in order.lines.select_related("variant__product").order_by("id"):
        product = line.variant.product if line.variant_id else None
        if product is not None and all(p["slug"] != product.slug for p in products):
            url = _absolute(reverse("reviews:write", kwargs={"slug": product.slug}))
            products.append({"slug": product.slug, "name": line.product_name, "review_url": url})
    rows = notification_enqueue(
        kind=FOLLOW_UP_KIND,
        user=order.user,
        context={
            "order": order,
            "order_number": order.number,
            "order_url": _absolute(order.get_absolute_url()),
            "products": products,
            "language": order.language,
        },
        dedupe_key=f"{FOLLOW_UP_KIND}:{order.pk}",
        source=f"order:{order.number}",
        now=now,
    )
    return len(rows)


def follow_ups_send_due(*, now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    config = LifecycleSettings.load()
    if not config.follow_up_enabled or quiet_hours_end(now=now) is not None:
        return 0
    return sum(bool(follow_up_send(order_id=pk, now=now)) for pk in follow_up_order_ids_due(now=now, config=config))


# --- First-order anniversary ----------------------------------------------------------------------------------------


def _one_year_after(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def anniversary_user_ids_due(*, now: datetime.datetime, config: LifecycleSettings) -> list[tuple[int, datetime.date]]:
    """(member id, date of the first paid order) for members whose first anniversary (JST calendar date) has come
    and is at most anniversary_max_late_days old."""
    today = now.astimezone(JST).date()
    bought = Order.objects.filter(user=OuterRef("pk"), paid_at__isnull=False).exclude(status__in=NOT_BOUGHT)
    earliest = now - datetime.timedelta(days=366 + config.anniversary_max_late_days)
    candidates = (
        get_user_model()
        .objects.filter(is_active=True, anonymised_at__isnull=True)
        .annotate(first_paid=Subquery(bought.order_by("paid_at").values("paid_at")[:1]))
        .filter(first_paid__lte=now - datetime.timedelta(days=364), first_paid__gt=earliest)
        .filter(_not_sent(f"{ANNIVERSARY_KIND}:", "pk"))
        .order_by("pk")
        .values_list("pk", "first_paid")
    )
    due = []
    for user_id, first_paid in candidates:
        first_day = first_paid.astimezone(JST).date()
        anniversary = _one_year_after(first_day)
        if anniversary <= today <= anniversary + datetime.timedelta(days=config.anniversary_max_late_days):
            due.append((user_id, first_day))
    return due


def anniversary_send(*, user_id: int, first_order_on: datetime.date, now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return 0
    rows = notification_enqueue(
        kind=ANNIVERSARY_KIND,
        user=user,
        context={
            "first_order_on": first_order_on,
            "shop_url": _absolute("/"),
            "orders_url": _absolute(reverse("orders:order_list")),
        },
        dedupe_key=f"{ANNIVERSARY_KIND}:{user.pk}",
        is_marketing=True,
        source="lifecycle:anniversary",
        now=now,
    )
    return len(rows)


def anniversaries_send_due(*, now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    config = LifecycleSettings.load()
    if not config.anniversary_enabled:
        return 0
    due = anniversary_user_ids_due(now=now, config=config)
    return sum(bool(anniversary_send(user_id=pk, first_order_on=day, now=now)) for pk, day in due)


# --- Event invitations ----------------------------------------------------------------------------------------------


class InvitationError(ValueError):
    """Staff asked for something the invitation's state does not allow."""


def event_invitation_schedule(
    *, invitation: EventInvitation, send_at: datetime.datetime | None = None, now: datetime.datetime | None = None
) -> EventInvitation:
    """Staff's "send": scheduled for send_at (else its send time, else now: the next run sends it)."""
    now = now or timezone.now()
    if invitation.status == EventInvitation.Status.SENT:
        raise InvitationError("already sent")
    invitation.status = EventInvitation.Status.SCHEDULED
    invitation.send_at = send_at or invitation.send_at or now
    invitation.save(update_fields=["status", "send_at"])
    return invitation


def _audience(invitation: EventInvitation, *, now: datetime.datetime):
    if invitation.audience == EventInvitation.Audience.SEGMENT and invitation.segment_id:
        return segment_users(segment=invitation.segment, now=now)
    return get_user_model().objects.filter(is_active=True, anonymised_at__isnull=True)


def event_invitation_send(*, invitation_id: int, now: datetime.datetime | None = None) -> int:
    """Sends a scheduled invitation whose time has come to its audience, once per member; returns the members
    newly written for (a resumed send skips those already done)."""
    now = now or timezone.now()
    with transaction.atomic():
        invitation = (
            EventInvitation.objects.select_for_update(of=("self",))
            .select_related("segment")
            .filter(pk=invitation_id, status=EventInvitation.Status.SCHEDULED)
            .first()
        )
        if invitation is None or (invitation.send_at and invitation.send_at > now):
            return 0
    event_local = invitation.event_at.astimezone(JST)
    context = {
        "title": invitation.title,
        "text": invitation.body,
        "event_at": event_local.strftime("%Y-%m-%d %H:%M"),
        "url": _absolute(invitation.link) if invitation.link else "",
    }
    prefix = f"{INVITATION_KIND}:{invitation.pk}:"
    written = 0
    users = _audience(invitation, now=now).filter(_not_sent(prefix, "pk")).order_by("pk")
    for user in users.iterator(chunk_size=500):
        rows = notification_enqueue(
            kind=INVITATION_KIND,
            user=user,
            context=context,
            dedupe_key=f"{prefix}{user.pk}",
            is_marketing=True,
            cap_per_week=invitation.segment.cap_per_week if invitation.segment_id else None,
            source=f"invitation:{invitation.pk}",
            now=now,
        )
        written += bool(rows)
    total = Notification.objects.filter(batch_key__startswith=prefix).values("batch_key").distinct().count()
    EventInvitation.objects.filter(pk=invitation.pk, status=EventInvitation.Status.SCHEDULED).update(
        status=EventInvitation.Status.SENT, sent_at=now, recipients=total
    )
    logger.info("Event invitation %s sent: %s members written", invitation.pk, written)
    return written


def event_invitations_send_due(*, now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    due = EventInvitation.objects.filter(status=EventInvitation.Status.SCHEDULED, send_at__lte=now).values_list(
        "pk", flat=True
    )
    return sum(event_invitation_send(invitation_id=pk, now=now) for pk in list(due))


def lifecycle_send_due(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """What the beat task and `manage.py send_lifecycle_messages` run."""
    now = now or timezone.now()
    return {
        "follow_ups": follow_ups_send_due(now=now),
        "anniversaries": anniversaries_send_due(now=now),
        "invitations": event_invitations_send_due(now=now),
    }
