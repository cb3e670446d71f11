"""Building blocks of the payments admin: the order record's read-only inlines (what only the services write),
amounts in their currency, and text as staff type it on a Japanese keyboard."""

import unicodedata

from shop.core.admin_readonly import ReadOnlyInline
from shop.core.money import Money


class OrderRecordInline(ReadOnlyInline):
    """Part of the order's record: shown to whoever may see the order, changed only by the services."""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_order") or request.user.has_perm("orders.change_order")


def format_money(amount: int, currency: str) -> str:
    return Money(amount, currency).format()


def normalise_text(value: str) -> str:
    """Full-width digits and letters as typed on a Japanese keyboard become plain ASCII."""
    return unicodedata.normalize("NFKC", value or "").strip()
