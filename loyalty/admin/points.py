"""Admin of points and ranks: the loyalty settings (one row), ranks, members' points accounts with a staff
adjustment form, and the ledger and rank changes (read-only: entries are never changed, corrections are new ones)."""

import uuid

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shop.core.admin_audit import PersonalDataAuditMixin
from shop.core.admin_readonly import ReadOnlyAdmin

from ..exceptions import PointsError
from ..models import LoyaltySettings, PointAccount, PointEntry, Rank, RankChange
from ..selectors.points import points_balance, points_history
from ..services.points import points_adjust

RECENT_ENTRIES = 20


def _kind_label(entry: PointEntry) -> str:
    if entry.kind == PointEntry.Kind.SHORTFALL and entry.amount > 0:
        return gettext("Points owed (taken from later points)")
    return entry.get_kind_display()


@admin.register(LoyaltySettings)
class LoyaltySettingsAdmin(admin.ModelAdmin):
    """One row: the list goes straight to it."""

    raw_id_fields = ("welcome_coupon", "birthday_coupon")
    fieldsets = (
        (_("Earning"), {"fields": ("earn_rate_percent", "review_points", "review_photo_points", "return_window_days")}),
        (_("Expiry"), {"fields": ("expiry_days", "expiry_notice_days")}),
        (_("Using points"), {"fields": ("redeem_min", "redeem_max_percent")}),
        (_("Ranks"), {"fields": ("rank_period_days",)}),
        (_("Coupons"), {"fields": ("welcome_coupon", "birthday_coupon")}),
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        settings = LoyaltySettings.load()
        return HttpResponseRedirect(reverse("admin:loyalty_loyaltysettings_change", args=[settings.pk]))


@admin.register(Rank)
class RankAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "min_spend", "earn_multiplier_percent", "free_shipping", "description")
    ordering = ("min_spend",)


class PointAdjustmentForm(forms.ModelForm):
    """The account itself is not edited; the form only carries a staff adjustment, written as a ledger entry."""

    adjust_points = forms.IntegerField(
        label=_("Points to add or take"),
        required=False,
        help_text=_("Positive adds points, negative takes them (never below a zero balance)."),
    )
    adjust_reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        required=False,
        help_text=_("Required with an adjustment; shown to the member in their points history."),
        widget=forms.TextInput(attrs={"size": 60}),
    )
    # One key per page shown: submitting the same page twice adjusts once.
    adjust_key = forms.CharField(widget=forms.HiddenInput, required=False, initial=lambda: uuid.uuid4().hex)

    class Meta:
        model = PointAccount
        fields = ()

    def clean(self):
        data = super().clean()
        amount = data.get("adjust_points")
        reason = (data.get("adjust_reason") or "").strip()
        if not amount:
            if reason:
                self.add_error("adjust_points", gettext("Enter the number of points to add or take."))
            return data
        if not reason:
            self.add_error("adjust_reason", gettext("Enter the reason for the adjustment."))
        available = points_balance(user=self.instance.user).available
        if amount < 0 and -amount > available:
            self.add_error(
                "adjust_points",
                gettext("The balance cannot go below zero: only %(available)s points are available.")
                % {"available": f"{available:,}"},
            )
        data["adjust_reason"] = reason
        return data


@admin.register(PointAccount)
class PointAccountAdmin(PersonalDataAuditMixin, admin.ModelAdmin):
    form = PointAdjustmentForm
    list_display = ("user", "available", "pending", "shortfall", "rank", "rank_spend")
    list_select_related = ("user", "rank")
    list_filter = ("rank",)
    search_fields = ("user__email",)
    search_help_text = _("Member's email.")
    readonly_fields = (
        "user", "available", "pending", "expiring", "shortfall", "rank", "rank_spend", "rank_updated_at",
        "expiry_notice_sent_for", "recent_entries",
    )  # fmt: skip
    fieldsets = (
        (None, {"fields": ("user", "available", "pending", "expiring", "shortfall")}),
        (_("Rank"), {"fields": ("rank", "rank_spend", "rank_updated_at")}),
        (_("Adjust points"), {"fields": ("adjust_points", "adjust_reason", "adjust_key")}),
        (_("Points history"), {"fields": ("recent_entries", "expiry_notice_sent_for")}),
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    list_per_page = 50

    def _balance(self, account):
        # Worked out once per row from the ledger (the balance is never stored).
        if not hasattr(account, "_points_balance"):
            account._points_balance = points_balance(user=account.user)
        return account._points_balance

    @admin.display(description=_("points you can use"))
    def available(self, account):
        return f"{self._balance(account).available:,}"

    @admin.display(description=_("pending points"))
    def pending(self, account):
        return f"{self._balance(account).pending:,}"

    @admin.display(description=_("expiring next"))
    def expiring(self, account):
        balance = self._balance(account)
        if not balance.expiring_on:
            return "—"
        return f"{balance.expiring:,} ({balance.expiring_on:%Y-%m-%d})"

    @admin.display(description=_("latest entries"))
    def recent_entries(self, account):
        entries = list(points_history(user=account.user).select_related("created_by")[:RECENT_ENTRIES])
        if not entries:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M"),
                    f"{entry.amount:+,}",
                    _kind_label(entry),
                    entry.source_key,
                    entry.note,
                    entry.created_by or "—",
                )
                for entry in entries
            ),
        )
        ledger = reverse("admin:loyalty_pointentry_changelist") + f"?user__id__exact={account.user_id}"
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            '<tbody>{}</tbody></table><p><a href="{}">{}</a></p>',
            _("time"),
            _("points"),
            _("reason"),
            _("source"),
            _("note"),
            _("by"),
            rows,
            ledger,
            _("The whole ledger of this member"),
        )

    def save_model(self, request, obj, form, change):
        amount = form.cleaned_data.get("adjust_points")
        if not amount:
            return
        try:
            entry = points_adjust(
                user=obj.user,
                amount=amount,
                reason=form.cleaned_data["adjust_reason"],
                actor=request.user,
                key=form.cleaned_data.get("adjust_key") or None,
            )
        except PointsError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(
            request,
            gettext("%(points)s points recorded for %(member)s: %(reason)s")
            % {"points": f"{entry.amount:+,}", "member": obj.user, "reason": entry.note},
            messages.SUCCESS,
        )


@admin.register(PointEntry)
class PointEntryAdmin(PersonalDataAuditMixin, ReadOnlyAdmin):
    list_display = (
        "created_at", "user", "amount", "kind_label", "source_key", "order", "available_at", "expires_at", "note",
        "created_by",
    )  # fmt: skip
    list_filter = ("kind",)
    list_select_related = ("user", "order", "created_by")
    search_fields = ("user__email", "source_key")
    search_help_text = _("Member's email or the entry's source (e.g. order:42).")
    date_hierarchy = "created_at"
    list_per_page = 100

    @admin.display(description=_("reason"), ordering="kind")
    def kind_label(self, entry):
        return _kind_label(entry)


@admin.register(RankChange)
class RankChangeAdmin(PersonalDataAuditMixin, ReadOnlyAdmin):
    list_display = ("created_at", "user", "old_rank", "new_rank", "spend")
    list_filter = ("new_rank",)
    list_select_related = ("user", "old_rank", "new_rank")
    search_fields = ("user__email",)
    date_hierarchy = "created_at"
