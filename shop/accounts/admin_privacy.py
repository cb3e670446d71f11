"""Admin for legal pages (versions are append-only), consent records (read-only) and privacy requests."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import privacy_selectors, privacy_services
from .models import Consent, LegalPage, LegalPageVersion, PrivacyRequest


class LegalPageVersionHistoryInline(admin.TabularInline):
    """Published versions cannot be edited or deleted: users accepted exactly that text."""

    model = LegalPageVersion
    verbose_name_plural = _("versions")
    fields = ("version", "effective_at", "change_summary", "created_at", "created_by")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class LegalPageVersionNewInline(admin.StackedInline):
    model = LegalPageVersion
    verbose_name = _("new version")
    verbose_name_plural = _("add a new version")
    fields = ("body", "change_summary", "effective_at")
    extra = 1
    max_num = 1
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["effective_at"].initial = timezone.now
        return formset


@admin.register(LegalPage)
class LegalPageAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "requires_acceptance", "current_version")
    inlines = (LegalPageVersionNewInline, LegalPageVersionHistoryInline)

    def get_readonly_fields(self, request, obj=None):
        return ("kind",) if obj else ()

    @admin.display(description=_("current version"))
    def current_version(self, obj):
        current = privacy_selectors.legal_version_current(kind=obj.kind)
        return current.version if current else "—"

    def save_formset(self, request, form, formset, change):
        if formset.model is LegalPageVersion and not formset.queryset.exists():
            for version_form in formset.forms:
                if version_form.has_changed() and version_form.cleaned_data:
                    privacy_services.legal_page_version_add(
                        page=form.instance,
                        body=version_form.cleaned_data["body"],
                        change_summary=version_form.cleaned_data.get("change_summary", ""),
                        effective_at=version_form.cleaned_data["effective_at"],
                        created_by=request.user,
                    )
            return
        super().save_formset(request, form, formset, change)


@admin.register(LegalPageVersion)
class LegalPageVersionAdmin(admin.ModelAdmin):
    """Read-only view of one version's full text (linked from the page's history)."""

    list_display = ("page", "version", "effective_at", "change_summary")
    list_filter = ("page",)
    readonly_fields = ("page", "version", "body", "change_summary", "effective_at", "created_at", "created_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "visitor_id", "purpose", "granted", "policy_version", "source")
    list_filter = ("purpose", "granted", "source")
    search_fields = ("user__email", "visitor_id")
    list_select_related = ("user", "policy_version__page")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "status", "user", "handled_by", "handled_at")
    list_filter = ("kind", "status")
    search_fields = ("user__email",)
    list_select_related = ("user", "handled_by")
    fields = ("user", "kind", "created_at", "details", "has_export", "status", "response", "handled_by", "handled_at")
    readonly_fields = ("user", "kind", "created_at", "details", "has_export", "handled_by", "handled_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("export ready"), boolean=True)
    def has_export(self, obj):
        return bool(obj.export_file)

    def save_model(self, request, obj, form, change):
        privacy_services.privacy_request_handle(
            request_id=obj.pk, status=obj.status, response=obj.response, staff=request.user
        )
