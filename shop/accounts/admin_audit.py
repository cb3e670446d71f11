"""Admin for the personal-data access log (shop manager and superusers only) and for customers' addresses
(every opened address is logged)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from shop.core.admin_audit import PersonalDataAuditMixin

from .models import Address, PersonalDataAccess


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    """Written only by the shop; nobody adds, edits or deletes a row, not even a superuser."""

    list_display = ("created_at", "staff", "customer", "what", "path")
    list_select_related = ("staff", "customer")
    list_filter = ("created_at",)
    search_fields = ("staff__email", "customer__email", "what")
    date_hierarchy = "created_at"
    fields = ("created_at", "staff", "customer", "what", "path")
    readonly_fields = fields

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        # accounts.view_personaldataaccess belongs to the "Shop manager" role alone (shop.accounts.roles).
        return request.user.is_active and request.user.has_perm("accounts.view_personaldataaccess")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Address)
class AddressAdmin(PersonalDataAuditMixin, admin.ModelAdmin):
    # The list shows no more than needed to find an address; the full address is on the (logged) change page.
    list_display = ("id", "user", "prefecture", "is_default", "updated_at")
    list_select_related = ("user",)
    search_fields = ("user__email",)
    search_help_text = _("Customer's e-mail address.")
    raw_id_fields = ("user",)
    fields = ("user", "name", "postal_code", "prefecture", "city", "street", "building", "phone", "is_default")
