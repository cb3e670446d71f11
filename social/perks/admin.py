from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import AccessRule


@admin.register(AccessRule)
class AccessRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "audience", "opens_at", "public_at", "is_active")
    list_filter = ("is_active", "audience")
    search_fields = ("name",)
    autocomplete_fields = ("products",)
    filter_horizontal = ("categories", "ranks")
    fieldsets = (
        (None, {"fields": ("name", "is_active")}),
        (_("Which items"), {"fields": ("products", "categories")}),
        (
            _("Who and when"),
            {
                "fields": ("audience", "ranks", "opens_at", "public_at"),
                "description": _(
                    "Before “opens” nobody can buy the items; from then the audience can; from “open to everyone” "
                    "anybody can (leave it empty for a members-only sale that never opens to all). The cart and "
                    "the checkout enforce this, not only the product page."
                ),
            },
        ),
    )
