"""Writes for support: inquiries (web form, order page, LINE), replies both ways, spam release, complaints.

The customer hears from the shop on the channel they used: e-mail, or a LINE push for inquiries sent on LINE.
Delivery goes through the notifications outbox (kinds "inquiry_received" and "inquiry_reply").
"""

import secrets
from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.core.spam import spam_check
from shop.notifications.models import Channel, Notification
from shop.notifications.selectors import site_url
from shop.notifications.services import notification_enqueue

from .exceptions import SupportError
from .models import MESSAGE_MAX_LENGTH, REPLY_TARGET, Complaint, Inquiry, InquiryMessage

SUBJECT_MAX_LENGTH = Inquiry._meta.get_field("subject").max_length
# Inquiries still waiting for a customer's next LINE message to be added to them rather than opening a new one.
LINE_CONTINUES = (Inquiry.Status.NEW, Inquiry.Status.OPEN, Inquiry.Status.WAITING_CUSTOMER)


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise SupportError(_("Please write your message."))
    if len(body) > MESSAGE_MAX_LENGTH:
        raise SupportError(_("Please keep your message within %(max)d characters.") % {"max": MESSAGE_MAX_LENGTH})
    return body


def _new_number(now: datetime) -> str:
    today = timezone.localdate(now)
    while True:
        number = f"Q{today:%y%m%d}-{secrets.token_hex(3).upper()}"
        if not Inquiry.objects.filter(number=number).exists():
            return number


def _notify(*, inquiry: Inquiry, kind: str, dedupe_key: str, context: dict) -> list:
    """E-mail, or LINE for LINE inquiries; a LINE sender not linked to an account cannot be reached (no rows)."""
    channel = Channel.LINE if inquiry.channel == Inquiry.Channel.LINE else Channel.EMAIL
    if channel == Channel.EMAIL and not inquiry.email and inquiry.user is None:
        return []
    inquiry_url = ""
    if inquiry.user_id:
        inquiry_url = site_url() + reverse("support:inquiry_detail", args=[inquiry.number])
    return notification_enqueue(
        kind=kind,
        user=inquiry.user,
        email=inquiry.email or None,
        context={
            "language": inquiry.language,
            "inquiry": inquiry,
            "inquiry_url": inquiry_url,
            "customer_name": inquiry.name,
            **context,
        },
        dedupe_key=dedupe_key,
        channels=[channel],
        source=f"support:{inquiry.number}",
    )


def _acknowledge(inquiry: Inquiry) -> None:
    _notify(inquiry=inquiry, kind="inquiry_received", dedupe_key=f"inquiry_received:{inquiry.pk}", context={})


@transaction.atomic
def inquiry_create(
    *,
    name: str,
    email: str,
    subject: str,
    body: str,
    category: str = Inquiry.Category.OTHER,
    user=None,
    order=None,
    channel: str = Inquiry.Channel.WEB,
    ip: str | None = None,
    line_user_id: str = "",
    language: str = "ja",
    source_ref: str = "",
    now: datetime | None = None,
) -> Inquiry:
    """A new inquiry with the customer's first message. The spam filter holds it for staff (status spam_held,
    with the reasons) instead of dropping it; otherwise the customer gets an acknowledgement."""
    now = now or timezone.now()
    body = _clean_body(body)
    subject = " ".join((subject or "").split())
    if not subject:
        raise SupportError(_("Please enter a subject."))
    if len(subject) > SUBJECT_MAX_LENGTH:
        raise SupportError(_("Please keep the subject within %(max)d characters.") % {"max": SUBJECT_MAX_LENGTH})
    email = (email or "").strip()
    if not email and channel != Inquiry.Channel.LINE:
        raise SupportError(_("Please enter your e-mail address so that we can answer."))
    if category not in Inquiry.Category.values:
        category = Inquiry.Category.OTHER
    verdict = spam_check(
        kind="inquiry",
        text=f"{subject}\n{body}",
        email=email,
        ip=ip,
        user_id=user.pk if user is not None else None,
        now=now,
    )
    inquiry = Inquiry.objects.create(
        number=_new_number(now),
        user=user,
        name=(name or "").strip()[:100] or email or _("LINE user"),
        email=email,
        channel=channel,
        category=category,
        order=order,
        subject=subject,
        status=Inquiry.Status.SPAM_HELD if verdict.held else Inquiry.Status.NEW,
        spam_reasons=verdict.reasons,
        line_user_id=line_user_id,
        language=(language or "ja")[:8],
        created_at=now,
        reply_due_at=now + REPLY_TARGET,
    )
    InquiryMessage.objects.create(
        inquiry=inquiry, author=user, from_staff=False, body=body, created_at=now, source_ref=source_ref[:100]
    )
    if not verdict.held:
        _acknowledge(inquiry)
    return inquiry


def _customer_message(*, inquiry: Inquiry, author, body: str, now: datetime, source_ref: str = "") -> InquiryMessage:
    message = InquiryMessage.objects.create(
        inquiry=inquiry, author=author, from_staff=False, body=body, created_at=now, source_ref=source_ref[:100]
    )
    if inquiry.status != Inquiry.Status.SPAM_HELD:
        if inquiry.status != Inquiry.Status.OPEN:
            # The shop owes a new answer: the 24-hour target starts again from this message.
            inquiry.reply_due_at = now + REPLY_TARGET
        inquiry.status = Inquiry.Status.OPEN
    inquiry.save(update_fields=["status", "reply_due_at", "updated_at"])
    return message


@transaction.atomic
def inquiry_customer_reply(*, number: str, user, body: str, now: datetime | None = None) -> InquiryMessage:
    """The customer answers from their account page; a closed inquiry opens again."""
    now = now or timezone.now()
    body = _clean_body(body)
    inquiry = Inquiry.objects.select_for_update().filter(number=number, user=user).first()
    if inquiry is None or user is None:
        raise SupportError(_("This inquiry was not found."))
    return _customer_message(inquiry=inquiry, author=user, body=body, now=now)


@transaction.atomic
def inquiry_reply(*, inquiry_id: int, staff, body: str, now: datetime | None = None) -> InquiryMessage:
    """A staff answer: kept in the history and sent to the customer on the channel they used."""
    now = now or timezone.now()
    body = _clean_body(body)
    inquiry = Inquiry.objects.select_for_update(of=("self",)).select_related("user", "order").get(pk=inquiry_id)
    message = InquiryMessage.objects.create(inquiry=inquiry, author=staff, from_staff=True, body=body, created_at=now)
    if inquiry.first_reply_at is None:
        inquiry.first_reply_at = now
    if inquiry.assignee_id is None and staff is not None:
        inquiry.assignee = staff
    # Answering an inquiry the filter held is staff's judgement that it was not spam.
    inquiry.status = Inquiry.Status.WAITING_CUSTOMER
    inquiry.save(update_fields=["first_reply_at", "assignee", "status", "updated_at"])
    rows = _notify(
        inquiry=inquiry, kind="inquiry_reply", dedupe_key=f"inquiry_reply:{message.pk}", context={"reply": body}
    )
    if rows:
        message.delivery_ref = ",".join(str(row.pk) for row in rows)[:100]
        message.save(update_fields=["delivery_ref"])
    return message


@transaction.atomic
def inquiry_from_line(
    *, line_user_id: str, text: str, user=None, event_id: str = "", now: datetime | None = None
) -> Inquiry | None:
    """A text message to the official account (not a link code): it continues the sender's unfinished LINE
    inquiry, or opens a new one. user is the shop account linked to this LINE user, if any. event_id is the
    webhook event's id: the same event delivered twice adds one message."""
    now = now or timezone.now()
    text = (text or "").strip()
    if not line_user_id or not text:
        return None
    source_ref = f"line:{event_id}" if event_id else ""
    if source_ref:
        seen = InquiryMessage.objects.filter(source_ref=source_ref).select_related("inquiry").first()
        if seen is not None:
            return seen.inquiry
    inquiry = (
        Inquiry.objects.select_for_update()
        .filter(channel=Inquiry.Channel.LINE, line_user_id=line_user_id, status__in=LINE_CONTINUES)
        .order_by("-created_at", "-id")
        .first()
    )
    if inquiry is not None:
        _customer_message(inquiry=inquiry, author=user, body=text[:MESSAGE_MAX_LENGTH], now=now, source_ref=source_ref)
        return inquiry
    first_line = text.splitlines()[0]
    subject = first_line if len(first_line) <= 50 else first_line[:49] + "…"
    return inquiry_create(
        name=(getattr(user, "display_name", "") or "") if user is not None else "",
        email=user.email if user is not None else "",
        subject=subject,
        body=text[:MESSAGE_MAX_LENGTH],
        user=user,
        channel=Inquiry.Channel.LINE,
        line_user_id=line_user_id,
        language=getattr(user, "language", "") or "ja",
        source_ref=source_ref,
        now=now,
    )


@transaction.atomic
def inquiry_release(*, inquiry_ids, now: datetime | None = None) -> int:
    """Staff judged held inquiries to be genuine: they join the queue (their reply target counts from now) and the
    customer gets the acknowledgement they did not get before. The filter's reasons stay on record."""
    now = now or timezone.now()
    inquiries = list(
        Inquiry.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk__in=list(inquiry_ids), status=Inquiry.Status.SPAM_HELD)
    )
    for inquiry in inquiries:
        inquiry.status = Inquiry.Status.NEW
        inquiry.reply_due_at = now + REPLY_TARGET
        inquiry.save(update_fields=["status", "reply_due_at", "updated_at"])
        _acknowledge(inquiry)
    return len(inquiries)


def inquiry_close(*, inquiry_ids) -> int:
    return (
        Inquiry.objects.filter(pk__in=list(inquiry_ids))
        .exclude(status=Inquiry.Status.CLOSED)
        .update(status=Inquiry.Status.CLOSED, updated_at=timezone.now())
    )


def inquiry_deliveries_record(*, inquiry_id: int) -> int:
    """Copies the time the outbox sent each staff reply into its delivered_at (the delivery itself is async)."""
    updated = 0
    pending = InquiryMessage.objects.filter(inquiry_id=inquiry_id, from_staff=True, delivered_at__isnull=True).exclude(
        delivery_ref=""
    )
    for message in pending:
        ids = [int(part) for part in message.delivery_ref.split(",") if part.isdigit()]
        sent_at = (
            Notification.objects.filter(pk__in=ids, status=Notification.Status.SENT)
            .order_by("sent_at")
            .values_list("sent_at", flat=True)
            .first()
        )
        if sent_at is not None:
            updated += InquiryMessage.objects.filter(pk=message.pk, delivered_at__isnull=True).update(
                delivered_at=sent_at
            )
    return updated


def complaint_save(*, complaint: Complaint, now: datetime | None = None) -> Complaint:
    """Staff edit complaints in admin; writing the report back stamps when it was made."""
    if complaint.reported_back.strip() and complaint.reported_back_at is None:
        complaint.reported_back_at = now or timezone.now()
    complaint.save()
    return complaint
