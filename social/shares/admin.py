from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Attribution, PostDailyStat, ShareLink
from .selectors import post_stats_annotate, share_links_with_counts


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = ("code", "sharer", "product", "post_id", "channel", "clicks", "visitors", "orders", "created_at")
    list_filter = ("channel",)
    search_fields = ("code", "sharer__email", "product__name")
    raw_id_fields = ("sharer", "product")
    readonly_fields = ("code", "sharer", "product", "post_id", "channel", "created_at")

    def get_queryset(self, request):
        return share_links_with_counts(super().get_queryset(request).select_related("sharer", "product"))

    @admin.display(description=_("clicks"), ordering="click_count")
    def clicks(self, obj):
        return obj.click_count

    @admin.display(description=_("visitors"), ordering="visitor_count")
    def visitors(self, obj):
        return obj.visitor_count

    @admin.display(description=_("orders"), ordering="order_count")
    def orders(self, obj):
        return obj.order_count

    def has_add_permission(self, request):
        return False


@admin.register(Attribution)
class AttributionAdmin(admin.ModelAdmin):
    list_display = ("order", "link", "sharer", "channel", "status", "reason", "clicked_at", "decided_at")
    list_filter = ("status", "reason", "link__channel")
    search_fields = ("order__number", "link__code", "link__sharer__email")
    list_select_related = ("order", "link__sharer")
    readonly_fields = ("order", "link", "clicked_at", "status", "reason", "created_at", "decided_at")

    @admin.display(description=_("sharer"))
    def sharer(self, obj):
        return obj.link.sharer

    @admin.display(description=_("channel"))
    def channel(self, obj):
        return obj.link.get_channel_display()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PostDailyStat)
class PostDailyStatAdmin(admin.ModelAdmin):
    """F64 per post and day; the post's all-time CTR and CVR (orders attributed to its shares) beside each row."""

    list_display = ("post_id", "day", "impressions", "product_clicks", "ctr", "post_orders", "post_ctr", "post_cvr")
    list_filter = ("day",)
    search_fields = ("post_id",)
    date_hierarchy = "day"
    ordering = ("-day", "-impressions")
    readonly_fields = ("post_id", "day", "impressions", "product_clicks")

    def get_queryset(self, request):
        return post_stats_annotate(super().get_queryset(request))

    @admin.display(description=_("CTR"))
    def ctr(self, obj):
        return _percent(obj.ctr)

    @admin.display(description=_("orders (post)"))
    def post_orders(self, obj):
        return obj.post_total.orders

    @admin.display(description=_("CTR (post)"))
    def post_ctr(self, obj):
        return _percent(obj.post_total.ctr)

    @admin.display(description=_("CVR (post)"))
    def post_cvr(self, obj):
        return _percent(obj.post_total.cvr)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
