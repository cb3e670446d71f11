"""Share campaigns and their tiers, the review queue of suspicious purchases, and the rewards given (read-only)."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import services
from .models import ShareCampaign, SharePurchase, ShareReward, ShareTier
from .selectors import reason_label


class ShareTierInline(admin.TabularInline):
    model = ShareTier
    extra = 1
    fields = ("buyers", "points", "coupon")


class ShareCampaignForm(forms.ModelForm):
    class Meta:
        model = ShareCampaign
        fields = (
            "name", "description", "starts_at", "ends_at", "is_active", "products", "categories",
            "daily_cap", "network_window_hours", "network_max_accounts",
        )  # fmt: skip

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("The campaign must end after it starts."))
        return data


@admin.register(ShareCampaign)
class ShareCampaignAdmin(admin.ModelAdmin):
    form = ShareCampaignForm
    list_display = ("name", "starts_at", "ends_at", "is_active", "tier_summary", "in_review")
    list_filter = ("is_active",)
    search_fields = ("name",)
    filter_horizontal = ("products", "categories")
    inlines = [ShareTierInline]
    fieldsets = (
        (None, {"fields": ("name", "description", "starts_at", "ends_at", "is_active")}),
        (_("Products"), {"fields": ("products", "categories")}),
        (_("Fraud checks"), {"fields": ("daily_cap", "network_window_hours", "network_max_accounts")}),
    )

    def get_queryset(self, request):
        review = Count("purchases", filter=Q(purchases__status=SharePurchase.Status.REVIEW))
        return super().get_queryset(request).prefetch_related("tiers").annotate(review_count=review)

    @admin.display(description=_("tiers"))
    def tier_summary(self, obj):
        return ", ".join(
            gettext("%(buyers)s → %(points)s pt") % {"buyers": tier.buyers, "points": tier.points}
            for tier in obj.tiers.all()
        )

    @admin.display(description=_("waiting for review"), ordering="review_count")
    def in_review(self, obj):
        if not obj.review_count:
            return "0"
        url = reverse("admin:share_rewards_sharepurchase_changelist")
        query = f"campaign__id__exact={obj.pk}&status={SharePurchase.Status.REVIEW}"
        return format_html('<a href="{}?{}">{}</a>', url, query, obj.review_count)


class QueueStatusFilter(admin.SimpleListFilter):
    """Status, defaulting to "waiting for review": staff open this list for the queue; "all" shows everything."""

    title = _("status")
    parameter_name = "status"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [*SharePurchase.Status.choices, (self.ALL, _("All"))]

    def _selected(self) -> str:
        return self.value() or SharePurchase.Status.REVIEW

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self._selected() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        selected = self._selected()
        return queryset if selected == self.ALL else queryset.filter(status=selected)


@admin.register(SharePurchase)
class SharePurchaseAdmin(admin.ModelAdmin):
    """The review queue: opens on the purchases waiting for review; approve or reject them with the actions."""

    list_display = ("order", "campaign", "sharer", "status", "findings", "paid_at", "reviewed_by", "reviewed_at")
    list_filter = (QueueStatusFilter, "campaign")
    list_select_related = ("order", "campaign", "sharer", "reviewed_by")
    search_fields = ("order__number", "sharer__email", "campaign__name")
    date_hierarchy = "paid_at"
    actions = ["approve", "reject"]
    fields = (
        "campaign", "sharer", "order", "status", "findings", "paid_at", "reviewed_by", "reviewed_at", "created_at",
    )  # fmt: skip
    readonly_fields = fields

    @admin.display(description=_("fraud check findings"))
    def findings(self, obj):
        if not obj.reasons:
            return "—"
        return format_html_join(
            "",
            "<p><strong>{}</strong>: {}</p>",
            ((reason_label(item.get("code", "")), item.get("detail", "")) for item in obj.reasons),
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _review(self, request, queryset, *, approve: bool):
        done = skipped = 0
        for purchase in queryset.order_by("pk"):
            if services.share_purchase_review(purchase_id=purchase.pk, approve=approve, actor=request.user):
                done += 1
            else:
                skipped += 1
        if done:
            message = (
                gettext("Approved: %(count)s. The sharers' tiers were tallied again.")
                if approve
                else (gettext("Rejected: %(count)s. The sharers' tiers were tallied again."))
            )
            self.message_user(request, message % {"count": done}, messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                gettext("Left as they were (refunded, or already decided that way): %(count)s.") % {"count": skipped},
                messages.WARNING,
            )

    @admin.action(description=_("Approve: count these purchases"), permissions=["change"])
    def approve(self, request, queryset):
        self._review(request, queryset, approve=True)

    @admin.action(description=_("Reject: these purchases do not count"), permissions=["change"])
    def reject(self, request, queryset):
        self._review(request, queryset, approve=False)


@admin.register(ShareReward)
class ShareRewardAdmin(admin.ModelAdmin):
    list_display = ("sharer", "campaign", "tier", "status", "points", "coupon", "confirm_after", "decided_at")
    list_filter = ("status", "campaign")
    list_select_related = ("sharer", "campaign", "tier__campaign", "coupon")
    search_fields = ("sharer__email", "campaign__name")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
