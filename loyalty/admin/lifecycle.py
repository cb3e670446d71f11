"""Lifecycle messages in admin: their settings (one row) and event invitations with a "send" action."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import EventInvitation, LifecycleSettings
from ..services.lifecycle import event_invitation_schedule


@admin.register(LifecycleSettings)
class LifecycleSettingsAdmin(admin.ModelAdmin):
    """One row: the list goes straight to it."""

    fieldsets = (
        (_("Follow-up after delivery"), {"fields": ("follow_up_enabled", "follow_up_days", "follow_up_max_late_days")}),
        (_("First-order anniversary"), {"fields": ("anniversary_enabled", "anniversary_max_late_days")}),
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        settings = LifecycleSettings.load()
        return HttpResponseRedirect(reverse("admin:loyalty_lifecyclesettings_change", args=[settings.pk]))


@admin.register(EventInvitation)
class EventInvitationAdmin(admin.ModelAdmin):
    list_display = ("title", "event_at", "audience", "segment", "status", "send_at", "sent_at", "recipients")
    list_filter = ("status", "audience")
    search_fields = ("title",)
    raw_id_fields = ("segment",)
    fields = ("title", "body", "event_at", "link", "audience", "segment", "send_at", "status", "sent_at", "recipients")
    readonly_fields = ("status", "sent_at", "recipients")
    actions = ("schedule",)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == EventInvitation.Status.SENT:
            return self.fields  # what was sent stays as it was
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Send (at its send time, or now)"), permissions=["change"])
    def schedule(self, request, queryset):
        scheduled = 0
        for invitation in queryset.exclude(status=EventInvitation.Status.SENT):
            if invitation.audience == EventInvitation.Audience.SEGMENT and not invitation.segment_id:
                continue
            event_invitation_schedule(invitation=invitation)
            scheduled += 1
        messages.success(
            request,
            ngettext(
                "%(count)d invitation scheduled. Members who agreed to marketing messages get it (never at night).",
                "%(count)d invitations scheduled. Members who agreed to marketing messages get them (never at night).",
                scheduled,
            )
            % {"count": scheduled},
        )
