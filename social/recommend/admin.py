"""Staff pages: per-slot statistics, the precomputed lists, and coupons limited to items related to a purchase."""

import datetime

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from loyalty.admin.coupons import CouponAdmin
from loyalty.models import Campaign, Coupon

from . import selectors
from .models import Recommendation, RecommendationStat


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


@admin.register(RecommendationStat)
class RecommendationStatAdmin(admin.ModelAdmin):
    """Per slot and day; the totals of the last 30 days per slot are above the list."""

    list_display = ("day", "slot", "impressions", "clicks", "ctr_display", "attributed_orders")
    list_filter = ("slot",)
    date_hierarchy = "day"
    change_list_template = "admin/recommend/recommendationstat/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("CTR"))
    def ctr_display(self, obj):
        return _percent(obj.ctr)

    def changelist_view(self, request, extra_context=None):
        since = timezone.localdate() - datetime.timedelta(days=30)
        totals = [
            {
                "label": row.label,
                "impressions": row.impressions,
                "clicks": row.clicks,
                "ctr": _percent(row.ctr),
                "orders": row.attributed_orders,
            }
            for row in selectors.recommendation_slot_totals(since=since)
        ]
        return super().changelist_view(request, extra_context={**(extra_context or {}), "slot_totals": totals})


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    list_display = ("slot", "key", "position", "product", "score", "computed_at")
    list_filter = ("slot",)
    search_fields = ("key", "product__name")
    list_select_related = ("product",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CouponWithItemsAdmin(CouponAdmin):
    """The coupon admin with "only these items" and an action filling them from the recommendation table."""

    autocomplete_fields = (*getattr(CouponAdmin, "autocomplete_fields", ()), "products")
    filter_horizontal = (*CouponAdmin.filter_horizontal, "categories")
    actions = (*CouponAdmin.actions, "fill_related_items")
    fieldsets = (
        *CouponAdmin.fieldsets,
        (
            _("Only these items"),
            {
                "fields": ("products", "categories"),
                "description": _(
                    "Empty: the discount is on the whole order. Otherwise it is taken only on these products and "
                    "the products of these categories (with their sub-categories). For a campaign to the buyers of "
                    "a product, the action “fill with items bought together” fills the products."
                ),
            },
        ),
    )

    @admin.action(description=_("Fill “only these products” with items bought together with the campaign's product"))
    def fill_related_items(self, request, queryset):
        filled = 0
        for coupon in queryset:
            seeds = set(
                Campaign.objects.filter(coupon=coupon, segment__bought_product__isnull=False).values_list(
                    "segment__bought_product_id", flat=True
                )
            )
            related = [pid for seed in sorted(seeds) for pid in selectors.segment_related_products(seed)]
            related = [pid for pid in dict.fromkeys(related) if pid not in seeds]
            if not related:
                self.message_user(
                    request,
                    _("%(code)s: no campaign with this coupon targets buyers of a product with related items yet.")
                    % {"code": coupon.code},
                    messages.WARNING,
                )
                continue
            coupon.products.set(related)
            filled += 1
        if filled:
            self.message_user(
                request,
                ngettext("Filled %(count)d coupon.", "Filled %(count)d coupons.", filled) % {"count": filled},
                messages.SUCCESS,
            )


admin.site.unregister(Coupon)
admin.site.register(Coupon, CouponWithItemsAdmin)
