"""The campaign and event calendar (F52) and the data-leak incident record (F62)."""

import calendar
import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from shop.core.admin_audit import log_personal_data_access

from .. import access, services
from ..forms import IncidentForm
from ..models import CalendarEvent, Incident, IncidentNotice
from ..selectors.common import local_today


class EventCalendar(calendar.HTMLCalendar):
    """A month as a table; each day lists the events on it, linked to their change page."""

    def __init__(self, events: list[CalendarEvent], *, can_edit: bool):
        super().__init__(firstweekday=calendar.SUNDAY)
        self.events = events
        self.can_edit = can_edit

    def formatmonthname(self, theyear, themonth, withyear=True):
        return ""

    def formatweekday(self, day):
        names = [
            gettext("Mon"),
            gettext("Tue"),
            gettext("Wed"),
            gettext("Thu"),
            gettext("Fri"),
            gettext("Sat"),
            gettext("Sun"),
        ]
        return format_html('<th class="{}">{}</th>', self.cssclasses_weekday_head[day], names[day])

    def formatmonth_for(self, year: int, month: int) -> str:
        self.year, self.month = year, month
        return self.formatmonth(year, month, withyear=False)

    def formatday(self, day, weekday):
        if day == 0:
            return '<td class="noday">&nbsp;</td>'
        date = datetime.date(self.year, self.month, day)
        items = format_html_join(
            "",
            '<li class="event-{}"><a href="{}">{}</a></li>',
            (
                (event.kind, reverse("admin:dashboard_calendarevent_change", args=[event.pk]), event.title)
                for event in self.events
                if event.starts_on <= date <= event.ends_on
            ),
        )
        today = " today" if date == local_today() else ""
        return format_html(
            '<td class="{}{}"><span class="day">{}</span><ul>{}</ul></td>',
            self.cssclasses[weekday],
            today,
            day,
            items,
        )


@admin.register(CalendarEvent)
class CalendarEventAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "starts_on", "ends_on", "campaign", "share_campaign")
    list_filter = ("kind",)
    search_fields = ("title", "notes")
    date_hierarchy = "starts_on"
    raw_id_fields = ("campaign", "share_campaign")
    change_list_template = "admin/dashboard/calendarevent/change_list.html"

    def has_module_permission(self, request):
        return access.user_can(request.user, access.ANALYTICS)

    def has_view_permission(self, request, obj=None):
        return access.user_can(request.user, access.ANALYTICS)

    def has_add_permission(self, request):
        return access.user_can(request.user, access.CALENDAR_EDIT)

    def has_change_permission(self, request, obj=None):
        return access.user_can(request.user, access.CALENDAR_EDIT)

    def has_delete_permission(self, request, obj=None):
        return access.user_can(request.user, access.CALENDAR_EDIT)

    def get_urls(self):
        return [
            path("month/", self.admin_site.admin_view(self.month_view), name="dashboard_calendarevent_month"),
            *super().get_urls(),
        ]

    def month_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = local_today()
        try:
            first = datetime.datetime.strptime(request.GET.get("month", ""), "%Y-%m").date()
        except ValueError:
            if request.GET.get("month"):
                messages.error(request, gettext("Choose a month as YYYY-MM, e.g. 2026-02."))
            first = today.replace(day=1)
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        events = list(CalendarEvent.objects.filter(starts_on__lte=last, ends_on__gte=first).order_by("starts_on"))
        previous = (first - datetime.timedelta(days=1)).replace(day=1)
        following = last + datetime.timedelta(days=1)
        grid = EventCalendar(events, can_edit=self.has_change_permission(request))
        return TemplateResponse(
            request,
            "admin/dashboard/calendarevent/month.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": gettext("Calendar: %(month)s") % {"month": f"{first:%Y-%m}"},
                "month": first,
                "calendar": format_html("{}", grid.formatmonth_for(first.year, first.month)),
                "events": events,
                "previous": f"{previous:%Y-%m}",
                "next": f"{following:%Y-%m}",
                "has_add_permission": self.has_add_permission(request),
            },
        )


class IncidentNoticeInline(admin.TabularInline):
    model = IncidentNotice
    extra = 0
    can_delete = False
    fields = ("created_at", "customer", "channel", "recipient", "status", "sent_by")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return access.user_can(request.user, access.INCIDENTS)


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    form = IncidentForm
    list_display = ("title", "discovered_at", "severity", "status", "checklist", "affected_count", "notices_count")
    list_filter = ("status", "severity")
    search_fields = ("title",)
    raw_id_fields = ("affected_customers",)
    inlines = (IncidentNoticeInline,)
    actions = ("send_notices",)

    def get_fieldsets(self, request, obj=None):
        steps = [
            (label, {"fields": (f"{prefix}_done", f"{prefix}_done_at", f"{prefix}_done_by", f"{prefix}_note")})
            for prefix, label in Incident.STEPS
        ]
        return [
            (None, {"fields": ("title", "discovered_at", "severity", "status", "description")}),
            (
                _("Affected customers"),
                {"fields": ("affected_customers", "affected_count", "customer_notice", "ppc_reported_at")},
            ),
            *steps,
        ]

    def get_readonly_fields(self, request, obj=None):
        done = [f"{prefix}_done_{part}" for prefix, _label in Incident.STEPS for part in ("at", "by")]
        return ("affected_count", *done)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                affected=Count("affected_customers", distinct=True), notices_total=Count("notices", distinct=True)
            )
        )

    @admin.display(description=_("affected customers"), ordering="affected")
    def affected_count(self, incident):
        if hasattr(incident, "affected"):
            return incident.affected
        return incident.affected_customers.count() if incident.pk else 0

    @admin.display(description=_("notices sent"), ordering="notices_total")
    def notices_count(self, incident):
        return incident.notices_total

    @admin.display(description=_("checklist"))
    def checklist(self, incident):
        return f"{incident.steps_done}/{len(Incident.STEPS)}"

    def has_module_permission(self, request):
        return access.user_can(request.user, access.INCIDENTS)

    def has_view_permission(self, request, obj=None):
        return access.user_can(request.user, access.INCIDENTS)

    def has_add_permission(self, request):
        return access.user_can(request.user, access.INCIDENTS)

    def has_change_permission(self, request, obj=None):
        return access.user_can(request.user, access.INCIDENTS)

    def has_delete_permission(self, request, obj=None):
        return False  # the record of a leak is kept

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.incident_steps_update(incident=obj, done=form.steps_done(), actor=request.user)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The notices list names customers and their addresses: one access-log row per customer shown.
        if obj is not None and not add:
            customers = sorted(set(obj.notices.values_list("customer_id", flat=True)), key=lambda pk: pk or 0)
            log_personal_data_access(request, [(pk, f"incident #{obj.pk} notices") for pk in customers])
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    @admin.action(description=_("Send the notice to the affected customers"))
    def send_notices(self, request, queryset):
        for incident in queryset.order_by("pk"):
            try:
                written = services.incident_notify_affected(incident_id=incident.pk, actor=request.user)
            except ValueError:
                self.message_user(
                    request,
                    gettext("%(title)s: write the notice to the affected customers first.") % {"title": incident},
                    messages.ERROR,
                )
                continue
            self.message_user(
                request,
                ngettext("%(title)s: %(count)d message sent.", "%(title)s: %(count)d messages sent.", written)
                % {"title": incident, "count": written},
                messages.SUCCESS,
            )
