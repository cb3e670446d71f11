from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import selectors, services
from .models import BlockedKeyword, Comment, Post, PostPhoto, PostProduct, Report


class NeedsReviewFilter(admin.SimpleListFilter):
    """The moderation queue: held by the keyword filter, or reported and not yet handled."""

    title = _("moderation")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("review", _("Needs review"))]

    def queryset(self, request, queryset):
        if self.value() == "review":
            open_reports = Report.objects.filter(resolved_at__isnull=True)
            field = "post" if queryset.model is Post else "comment"
            return queryset.filter(
                Q(status="held") | Q(Exists(open_reports.filter(**{field: OuterRef("pk")})))
            ).distinct()
        return queryset


class PostPhotoInline(admin.TabularInline):
    model = PostPhoto
    extra = 0
    max_num = 4


class PostProductInline(admin.TabularInline):
    model = PostProduct
    extra = 0
    max_num = 4
    raw_id_fields = ("product",)


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "author",
        "kind",
        "short_body",
        "status",
        "is_staff_post",
        "publish_at",
        "like_count",
        "created_at",
    )
    list_filter = (NeedsReviewFilter, "status", "kind", "is_staff_post")
    search_fields = ("body",)
    raw_id_fields = ("author", "product")
    readonly_fields = ("like_count", "comment_count", "held_reason", "created_at")
    fields = (
        "author",
        "kind",
        "product",
        "body",
        "status",
        "is_staff_post",
        "publish_at",
        "held_reason",
        "like_count",
        "comment_count",
        "created_at",
    )
    inlines = (PostPhotoInline, PostProductInline)
    actions = ("hide", "restore")
    date_hierarchy = "created_at"

    @admin.display(description=_("text"))
    def short_body(self, obj):
        return obj.body[:60]

    def get_changeform_initial_data(self, request):
        return {"author": request.user.pk, "is_staff_post": True}

    def save_model(self, request, obj, form, change):
        services.post_status_for_schedule(post=obj)
        super().save_model(request, obj, form, change)

    def changelist_view(self, request, extra_context=None):
        if not selectors.staff_post_planned_today():
            self.message_user(
                request,
                _("No shop post is published or scheduled for today. Post at least once a day."),
                level=messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Hide selected posts"))
    def hide(self, request, queryset):
        for pk in queryset.values_list("pk", flat=True):
            services.post_moderate(post_id=pk, hide=True)
        self.message_user(request, ngettext("%d post hidden.", "%d posts hidden.", queryset.count()) % queryset.count())

    @admin.action(description=_("Restore selected posts"))
    def restore(self, request, queryset):
        for pk in queryset.values_list("pk", flat=True):
            services.post_moderate(post_id=pk, hide=False)
        self.message_user(
            request, ngettext("%d post restored.", "%d posts restored.", queryset.count()) % queryset.count()
        )


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("id", "post", "user", "body", "status", "created_at")
    list_filter = (NeedsReviewFilter, "status")
    search_fields = ("body",)
    raw_id_fields = ("post", "user", "parent")
    readonly_fields = ("held_reason", "created_at")
    actions = ("hide", "restore")

    @admin.action(description=_("Hide selected comments"))
    def hide(self, request, queryset):
        for pk in queryset.values_list("pk", flat=True):
            services.comment_moderate(comment_id=pk, hide=True)

    @admin.action(description=_("Restore selected comments"))
    def restore(self, request, queryset):
        for pk in queryset.values_list("pk", flat=True):
            services.comment_moderate(comment_id=pk, hide=False)


class OpenFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("1", _("Open")), ("0", _("Resolved"))]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(resolved_at__isnull=self.value() == "1")
        return queryset


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("id", "reason", "post", "comment", "reporter", "created_at", "resolved_at")
    list_filter = (OpenFilter, "reason")
    raw_id_fields = ("reporter", "post", "comment")
    actions = ("hide_target", "restore_target", "dismiss")

    @admin.action(description=_("Hide the reported post or comment"))
    def hide_target(self, request, queryset):
        for report in queryset:
            if report.post_id:
                services.post_moderate(post_id=report.post_id, hide=True)
            else:
                services.comment_moderate(comment_id=report.comment_id, hide=True)

    @admin.action(description=_("Keep the reported post or comment visible"))
    def restore_target(self, request, queryset):
        for report in queryset:
            if report.post_id:
                services.post_moderate(post_id=report.post_id, hide=False)
            else:
                services.comment_moderate(comment_id=report.comment_id, hide=False)

    @admin.action(description=_("Dismiss the selected reports"))
    def dismiss(self, request, queryset):
        services.report_dismiss(report_ids=list(queryset.values_list("pk", flat=True)))


@admin.register(BlockedKeyword)
class BlockedKeywordAdmin(admin.ModelAdmin):
    list_display = ("word", "created_at")
    search_fields = ("word",)
