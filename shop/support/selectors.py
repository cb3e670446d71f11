"""Reads for support: a customer's inquiries, an inquiry's history, reply templates filled in, the FAQ."""

import unicodedata
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from shop.notifications.models import Notification

from .models import FaqCategory, FaqEntry, Inquiry, InquiryMessage, ReplyTemplate

FAQ_QUERY_MAX_LENGTH = 100


def inquiry_list_for_user(*, user) -> QuerySet[Inquiry]:
    return Inquiry.objects.filter(user=user).select_related("order").order_by("-created_at", "-id")


def inquiry_for_user(*, number: str, user) -> Inquiry | None:
    """The inquiry with its whole history, only for the signed-in customer who sent it."""
    if user is None or not user.is_authenticated:
        return None
    return (
        Inquiry.objects.filter(number=number, user=user)
        .select_related("order")
        .prefetch_related(Prefetch("messages", queryset=InquiryMessage.objects.select_related("author")))
        .first()
    )


def message_deliveries(*, messages) -> dict[int, list[Notification]]:
    """Staff replies' outbox rows (status, error), by message id, for the admin's history."""
    ids_by_message = {
        message.pk: [int(part) for part in message.delivery_ref.split(",") if part.isdigit()] for message in messages
    }
    wanted = {pk for ids in ids_by_message.values() for pk in ids}
    rows = Notification.objects.in_bulk(list(wanted)) if wanted else {}
    return {pk: [rows[i] for i in ids if i in rows] for pk, ids in ids_by_message.items()}


def reply_template_render(*, template: ReplyTemplate, inquiry: Inquiry) -> str:
    """{name} and {order_number} filled in; other braces are left as written (plain replace, not str.format)."""
    order_number = inquiry.order.number if inquiry.order_id else ""
    return template.body.replace("{name}", inquiry.name).replace("{order_number}", order_number)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold()


@dataclass
class FaqPage:
    categories: list[FaqCategory]
    entries: list[FaqEntry]
    query: str
    category: FaqCategory | None


def faq_search(*, query: str = "", category_slug: str = "") -> FaqPage:
    """Published entries, optionally of one category, whose question or answer contains every word of the query.

    Matching folds width and case (ＰａｙＰａｙ finds PayPay); the FAQ is a few dozen rows, so it is done here.
    """
    query = " ".join((query or "").split())[:FAQ_QUERY_MAX_LENGTH]
    categories = list(FaqCategory.objects.filter(entries__is_published=True).distinct().order_by("position", "id"))
    category = next((c for c in categories if c.slug == category_slug), None) if category_slug else None
    entries = FaqEntry.objects.filter(is_published=True).select_related("category")
    if category is not None:
        entries = entries.filter(category=category)
    words = _fold(query).split()
    found = [entry for entry in entries if all(word in _fold(f"{entry.question}\n{entry.answer}") for word in words)]
    return FaqPage(categories=categories, entries=found, query=query, category=category)
