"""Building blocks of the payments admin: read-only inlines for what only the services write, amounts
in their currency, and text as staff type it on a Japanese keyboard."""

import unicodedata

from django.contrib import admin

from shop.core.money import Money


class ReadOnlyInline(admin.TabularInline):
    """Part of the order's record: shown to whoever may see the order, changed only by the services."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_order") or request.user.has_perm("orders.change_order")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def format_money(amount: int, currency: str) -> str:
    return Money(amount, currency).format()


def normalise_text(value: str) -> str:
    """Full-width digits and letters as typed on a Japanese keyboard become plain ASCII."""
    return unicodedata.normalize("NFKC", value or "").strip()
