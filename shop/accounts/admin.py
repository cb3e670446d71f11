from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from shop.core.admin_audit import PersonalDataAuditMixin

from . import admin_audit, admin_privacy, admin_signin  # noqa: F401  (access log, addresses; legal, consents, requests; sign-ins)
from .models import User


@admin.register(User)
class UserAdmin(PersonalDataAuditMixin, BaseUserAdmin):
    ordering = ("-date_joined",)
    list_display = ("email", "display_name", "is_staff", "is_active", "date_joined")
    search_fields = ("email", "display_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("display_name",)}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def get_readonly_fields(self, request, obj=None):
        # Staff who may edit users (the shop manager) assign roles (groups) but cannot make anyone a superuser or
        # hand out single permissions beside the roles.
        readonly = super().get_readonly_fields(request, obj)
        if request.user.is_superuser:
            return readonly
        return (*readonly, "is_superuser", "user_permissions")

    def has_change_permission(self, request, obj=None):
        # Nor take over a superuser's account (its e-mail address or password).
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)
