"""The payment settings staff edit: methods offered, card hold, bank account for transfers, cash on delivery."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..models import PaymentSettings


@admin.register(PaymentSettings)
class PaymentSettingsAdmin(admin.ModelAdmin):
    """One row of settings: the list goes straight to it, and it can be neither added twice nor deleted."""

    fieldsets = (
        (_("Payment methods"), {"fields": ("card_enabled", "bank_transfer_enabled", "cod_enabled")}),
        (_("Cards"), {"fields": ("card_hold_minutes",)}),
        (
            _("Bank transfer"),
            {
                "fields": (
                    "bank_transfer_days",
                    "bank_name",
                    "bank_branch",
                    "bank_account_type",
                    "bank_account_number",
                    "bank_account_holder",
                )
            },
        ),
        (_("Cash on delivery"), {"fields": ("cod_fee", "cod_max_total")}),
    )

    def has_add_permission(self, request):
        return not PaymentSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        row = PaymentSettings.load()
        return HttpResponseRedirect(reverse("admin:payments_paymentsettings_change", args=[row.pk]))
