"""Admin pages and inlines of records only the shop's services write (payments, point entries, sign-in events, sent
messages, draw entries...): staff look at them, nobody adds, edits or deletes a row in admin."""

from django.contrib import admin


class ReadOnlyPermissions:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyPermissions, admin.ModelAdmin):
    pass


class ReadOnlyInline(ReadOnlyPermissions, admin.TabularInline):
    extra = 0
    can_delete = False
