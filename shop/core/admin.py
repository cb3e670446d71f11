from django.contrib import admin

from .models import SpamRule


@admin.register(SpamRule)
class SpamRuleAdmin(admin.ModelAdmin):
    """Held submissions wait in each app's own queue: held inquiries, held comments, pending reviews."""

    list_display = ("kind", "pattern", "threshold", "applies_to", "is_active", "note", "updated_at")
    list_filter = ("kind", "applies_to", "is_active")
    list_editable = ("is_active",)
    search_fields = ("pattern", "note")
    fields = ("kind", "applies_to", "pattern", "threshold", "is_active", "note")
