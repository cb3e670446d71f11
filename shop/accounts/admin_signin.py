"""Admin for sign-ins (read-only) and the "unusual sign-ins" page: networks with many failures, and networks many
accounts were created or signed in from."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shop.core.admin_audit import PersonalDataAuditMixin
from shop.core.admin_readonly import ReadOnlyAdmin

from . import signin_selectors
from .models import KnownBrowser, SignInEvent


class NetworkFilter(admin.SimpleListFilter):
    title = _("network")
    parameter_name = "network"

    def lookups(self, request, model_admin):
        networks = signin_selectors.busiest_networks(now=timezone.now())
        current = self.value()
        if current and current not in networks:
            networks.append(current)  # a link from the unusual sign-ins page to a quieter network
        return [(network, network) for network in networks]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(network=self.value())
        return queryset


@admin.register(SignInEvent)
class SignInEventAdmin(PersonalDataAuditMixin, ReadOnlyAdmin):
    list_display = ("created_at", "email", "success", "ip", "network", "device_label", "known_device", "notice_sent")
    list_filter = ("success", "known_device", "notice_sent", NetworkFilter, "created_at")
    search_fields = ("email", "ip", "network")
    search_help_text = _("E-mail address, IP address or network.")
    date_hierarchy = "created_at"
    fields = (
        "created_at", "user", "email", "success", "ip", "network", "device_label", "user_agent", "known_device",
        "notice_sent",
    )  # fmt: skip
    readonly_fields = fields
    change_list_template = "admin/accounts/signinevent/change_list.html"

    def get_urls(self):
        urls = [
            path("unusual/", self.admin_site.admin_view(self.unusual_view), name="accounts_signinevent_unusual"),
        ]
        return urls + super().get_urls()

    def unusual_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        tables = signin_selectors.unusual_sign_ins(now=timezone.now())
        changelist = reverse("admin:accounts_signinevent_changelist")
        sections = [
            (
                "failing_hour",
                _("Many failed sign-ins in the last hour"),
                _("failures"),
                _("e-mail addresses tried"),
                signin_selectors.FAILURES_PER_HOUR,
                "&success__exact=0",
            ),
            (
                "failing_day",
                _("Many failed sign-ins in the last 24 hours"),
                _("failures"),
                _("e-mail addresses tried"),
                signin_selectors.FAILURES_PER_DAY,
                "&success__exact=0",
            ),
            (
                "many_sign_ins",
                _("Many accounts signed in from one network in the last 24 hours"),
                _("accounts"),
                "",
                signin_selectors.ACCOUNTS_PER_DAY,
                "&success__exact=1",
            ),
            (
                "many_signups",
                _("Many accounts created from one network in the last 24 hours"),
                _("accounts"),
                "",
                signin_selectors.ACCOUNTS_PER_DAY,
                "",
            ),
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Unusual sign-ins"),
            "sections": [
                {
                    "code": code,
                    "title": title,
                    "count_label": count_label,
                    "accounts_label": accounts_label,
                    "threshold": threshold,
                    "rows": tables[code],
                    "link": f"{changelist}?network=" if code != "many_signups" else "",
                    "link_extra": extra,
                }
                for code, title, count_label, accounts_label, threshold, extra in sections
            ],
        }
        return TemplateResponse(request, "admin/accounts/signinevent/unusual.html", context)


@admin.register(KnownBrowser)
class KnownBrowserAdmin(PersonalDataAuditMixin, ReadOnlyAdmin):
    list_display = ("user", "label", "first_seen", "last_seen")
    list_select_related = ("user",)
    search_fields = ("user__email",)
    fields = ("user", "label", "device_id", "first_seen", "last_seen")
    readonly_fields = fields

    def has_delete_permission(self, request, obj=None):
        # Forgetting a browser makes its next sign-in send a notice again: harmless, and useful after a theft.
        return request.user.has_perm("accounts.delete_knownbrowser")
