from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shop.core.admin_audit import PersonalDataAuditMixin

from . import selectors, services
from .exceptions import SupportError
from .forms import InquiryAdminForm
from .models import AWAITING_SHOP, Complaint, FaqCategory, FaqEntry, Inquiry, InquiryMessage, ReplyTemplate


class OverdueFilter(admin.SimpleListFilter):
    title = _("reply target")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue (unanswered for more than 24 hours)"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(status__in=AWAITING_SHOP, reply_due_at__lt=timezone.now())
        return queryset


class InquiryMessageInline(admin.TabularInline):
    """The full history, read-only: replies are written in the reply box below and sent by the service."""

    model = InquiryMessage
    extra = 0
    can_delete = False
    fields = ("created_at", "sender", "body", "delivery")
    readonly_fields = fields
    verbose_name = _("message")
    verbose_name_plural = _("history")

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("author", "inquiry")
        self._deliveries = selectors.message_deliveries(messages=list(queryset))
        return queryset

    @admin.display(description=_("from"))
    def sender(self, message):
        if message.from_staff:
            author = message.author.display_name or message.author.email if message.author else ""
            return format_html('<strong data-from="staff">{}</strong> {}', gettext("Shop"), author)
        return format_html('<span data-from="customer">{}</span>', message.inquiry.name)

    @admin.display(description=_("delivery"))
    def delivery(self, message):
        if not message.from_staff:
            return ""
        rows = getattr(self, "_deliveries", {}).get(message.pk, [])
        if not rows:
            return gettext("Not delivered (no address or LINE link): the customer sees it in their account.")
        return format_html_join(
            ", ",
            "{} {} {}",
            ((row.get_channel_display(), row.get_status_display(), row.last_error_type) for row in rows),
        )


@admin.register(Inquiry)
class InquiryAdmin(PersonalDataAuditMixin, admin.ModelAdmin):
    form = InquiryAdminForm
    list_display = (
        "number",
        "subject",
        "name",
        "status",
        "category",
        "channel",
        "assignee",
        "created_at",
        "reply_due",
    )
    list_filter = ("status", OverdueFilter, "category", "channel", "assignee")
    search_fields = ("number", "subject", "name", "email", "order__number", "messages__body")
    list_select_related = ("assignee",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "number",
        "user",
        "name",
        "email",
        "channel",
        "order",
        "subject",
        "line_user_id",
        "created_at",
        "reply_due",
        "first_reply_at",
        "spam_reasons_list",
    )
    fieldsets = (
        (None, {"fields": ("number", "subject", "status", "category", "assignee", "reply_due", "first_reply_at")}),
        (_("Customer"), {"fields": ("name", "email", "user", "channel", "order", "line_user_id", "created_at")}),
        (_("Spam filter"), {"fields": ("spam_reasons_list",)}),
        (_("Reply"), {"fields": ("reply_template", "reply")}),
    )
    inlines = (InquiryMessageInline,)
    actions = ("release_from_spam_hold", "close_inquiries")

    def has_add_permission(self, request):
        # Inquiries come from customers (form, order page, LINE); staff answer them.
        return False

    @admin.display(description=_("reply due"), ordering="reply_due_at")
    def reply_due(self, inquiry):
        text = timezone.localtime(inquiry.reply_due_at).strftime("%Y/%m/%d %H:%M")
        if inquiry.is_overdue():
            return format_html(
                '<span class="overdue" data-overdue style="color:#b3261e;font-weight:bold">{} ({})</span>',
                text,
                gettext("overdue"),
            )
        return text

    @admin.display(description=_("held because"))
    def spam_reasons_list(self, inquiry):
        if not inquiry.spam_reasons:
            return "—"
        return format_html_join("", "<div>{}</div>", ((reason,) for reason in inquiry.spam_reasons))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if object_id and str(object_id).isdigit():
            services.inquiry_deliveries_record(inquiry_id=int(object_id))
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        body = form.cleaned_data.get("reply", "").strip()
        template = form.cleaned_data.get("reply_template")
        if not body and template is not None:
            body = selectors.reply_template_render(template=template, inquiry=obj)
        if not body:
            return
        try:
            services.inquiry_reply(inquiry_id=obj.pk, staff=request.user, body=body)
        except SupportError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        obj.refresh_from_db()
        self.message_user(request, gettext("The reply was sent to the customer."), messages.SUCCESS)

    @admin.action(description=_("Release from the spam hold (not spam)"))
    def release_from_spam_hold(self, request, queryset):
        count = services.inquiry_release(inquiry_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, gettext("%(count)d inquiries released.") % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Close"))
    def close_inquiries(self, request, queryset):
        count = services.inquiry_close(inquiry_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, gettext("%(count)d inquiries closed.") % {"count": count}, messages.SUCCESS)


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ("title", "position", "updated_at")
    list_editable = ("position",)
    search_fields = ("title", "body")


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ("__str__", "status", "owner", "order", "inquiry", "reported_back_at", "created_at")
    list_filter = ("status", "owner")
    search_fields = ("content", "cause", "fix", "prevention", "order__number", "inquiry__number")
    raw_id_fields = ("inquiry", "order")
    readonly_fields = ("reported_back_at", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("status", "owner", "inquiry", "order")}),
        (
            _("Record"),
            {"fields": ("content", "cause", "fix", "prevention", "reported_back", "reported_back_at")},
        ),
        (None, {"fields": ("created_at", "updated_at")}),
    )

    def save_model(self, request, obj, form, change):
        services.complaint_save(complaint=obj)


class FaqEntryInline(admin.TabularInline):
    model = FaqEntry
    extra = 0
    fields = ("question", "position", "is_published")
    show_change_link = True


@admin.register(FaqCategory)
class FaqCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "position")
    list_editable = ("position",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = (FaqEntryInline,)


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    list_display = ("question", "category", "position", "is_published", "updated_at")
    list_editable = ("position", "is_published")
    list_filter = ("category", "is_published")
    search_fields = ("question", "answer")
