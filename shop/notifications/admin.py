"""Staff admin: the delivery log (read-only, with "retry now"), preferences, LINE links, unsubscribes, settings."""

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shop.core.admin_audit import PersonalDataAuditMixin
from shop.core.admin_readonly import ReadOnlyAdmin

from . import services
from .models import LineLink, Notification, NotificationSettings, Preference, Unsubscribe


@admin.register(Notification)
class NotificationAdmin(PersonalDataAuditMixin, ReadOnlyAdmin):
    list_display = (
        "created_at",
        "channel",
        "recipient",
        "kind",
        "is_marketing",
        "status",
        "last_error_type",
        "error_message_short",
        "attempts",
        "sent_at",
    )
    list_filter = ("status", "channel", "is_marketing", "kind", "last_error_type", "created_at")
    search_fields = ("recipient", "kind", "dedupe_key", "source", "user__email")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    actions = ("retry_now",)
    fieldsets = (
        (
            None,
            {"fields": ("created_at", "user", "channel", "recipient", "kind", "is_marketing", "language", "source")},
        ),
        (
            _("Delivery"),
            {
                "fields": (
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "not_before",
                    "claimed_at",
                    "sent_at",
                    "last_error_type",
                    "last_error_message",
                    "dedupe_key",
                    "retry_key",
                )
            },
        ),
        (_("Content"), {"fields": ("subject", "body_text", "line_messages_display", "unsubscribe_url")}),
    )
    readonly_fields = ("line_messages_display", "retry_key")

    @admin.display(description=_("error message"))
    def error_message_short(self, notification):
        text = notification.last_error_message
        return text if len(text) <= 80 else text[:79] + "…"

    @admin.display(description=_("LINE messages"))
    def line_messages_display(self, notification):
        return format_html(
            "<pre>{}</pre>", json.dumps(notification.line_messages, ensure_ascii=False, indent=2, sort_keys=True)
        )

    def has_change_permission(self, request, obj=None):
        # Only for the "retry now" action on the list: a row itself is never edited.
        return obj is None and admin.ModelAdmin.has_change_permission(self, request)

    @admin.action(description=_("Retry now (failed messages)"), permissions=["change"])
    def retry_now(self, request, queryset):
        count = services.notifications_retry(notification_ids=queryset.values_list("pk", flat=True))
        messages.info(request, gettext("%(count)d failed message(s) queued to be sent again.") % {"count": count})


@admin.register(Preference)
class PreferenceAdmin(PersonalDataAuditMixin, admin.ModelAdmin):
    list_display = ("user", "group", "channel", "enabled", "updated_at")
    list_filter = ("group", "channel", "enabled")
    search_fields = ("user__email",)
    raw_id_fields = ("user",)


@admin.register(LineLink)
class LineLinkAdmin(PersonalDataAuditMixin, admin.ModelAdmin):
    list_display = ("user", "line_user_id", "source", "linked_at")
    list_filter = ("source",)
    search_fields = ("user__email", "line_user_id")
    raw_id_fields = ("user",)


@admin.register(Unsubscribe)
class UnsubscribeAdmin(PersonalDataAuditMixin, ReadOnlyAdmin):
    list_display = ("created_at", "user", "group", "channel", "reason", "source")
    list_filter = ("group", "channel", "reason", "source")
    search_fields = ("user__email", "comment")
    date_hierarchy = "created_at"


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    """One row of settings: the list goes straight to it, and it can be neither added twice nor deleted."""

    fields = ("quiet_start", "quiet_end", "marketing_cap_per_week", "max_attempts")

    def has_add_permission(self, request):
        return False  # the row is made by NotificationSettings.load(); asking here would cost every admin page a query

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        row = NotificationSettings.load()
        return HttpResponseRedirect(reverse("admin:notifications_notificationsettings_change", args=[row.pk]))
