from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import Review, ReviewPhoto, ReviewRequest


class ReviewPhotoInline(admin.TabularInline):
    model = ReviewPhoto
    extra = 0
    fields = ("image", "position")


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "product",
        "reviewer",
        "rating",
        "status",
        "is_featured",
        "verified_purchase",
        "held_reason",
        "helpful_count",
        "created_at",
    )
    list_filter = ("status", "rating", "is_featured", "verified_purchase")
    search_fields = ("title", "body", "product__name", "user__email", "user__display_name")
    list_select_related = ("product", "user")
    raw_id_fields = ("product", "user")
    readonly_fields = ("verified_purchase", "held_reason", "helpful_count", "created_at", "updated_at")
    inlines = (ReviewPhotoInline,)
    actions = ("publish", "hide", "feature", "unfeature")

    @admin.display(description=_("reviewer"), ordering="user__email")
    def reviewer(self, review):
        # Staff may see the address (for contacting the reviewer); shoppers never do.
        return review.user.email

    def _moderate(self, request, queryset, action: str):
        count = services.review_moderate(review_ids=queryset.values_list("pk", flat=True), action=action)
        self.message_user(
            request,
            ngettext("%(count)d review updated.", "%(count)d reviews updated.", count) % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Publish the selected reviews"))
    def publish(self, request, queryset):
        self._moderate(request, queryset, "publish")

    @admin.action(description=_("Hide the selected reviews"))
    def hide(self, request, queryset):
        self._moderate(request, queryset, "hide")

    @admin.action(description=_("Feature the selected reviews (also publishes them)"))
    def feature(self, request, queryset):
        self._moderate(request, queryset, "feature")

    @admin.action(description=_("Stop featuring the selected reviews"))
    def unfeature(self, request, queryset):
        self._moderate(request, queryset, "unfeature")


@admin.register(ReviewRequest)
class ReviewRequestAdmin(admin.ModelAdmin):
    list_display = ("order", "sent_at")
    raw_id_fields = ("order",)
    readonly_fields = ("order", "sent_at")
