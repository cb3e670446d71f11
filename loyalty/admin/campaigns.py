"""Segments, campaigns and banned words in admin: build a segment and see how many members it holds, write a
campaign, test it on yourself, schedule it, and read its results per variant."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db import models
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from shop.core.uploads import UserImageField

from ..models import BannedWord, Campaign, CampaignVariant, Rank, Segment
from ..selectors.campaigns import (
    campaign_banned_words,
    campaign_results,
    safe_internal_path,
    segment_count,
    segment_reachable_count,
)
from ..services.campaigns import (
    CampaignError,
    campaign_check_content,
    campaign_content_changed,
    campaign_schedule,
    campaign_send_test,
)

User = get_user_model()
HTMX = "vendor/htmx-2.0.11.min.js"


class SegmentForm(forms.ModelForm):
    age_bands = forms.MultipleChoiceField(
        label=_("age bands"),
        choices=User.AgeBand.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only members who consented to personalisation are matched by age band or gender."),
    )
    genders = forms.MultipleChoiceField(
        label=_("genders"), choices=User.Gender.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    ranks = forms.ModelMultipleChoiceField(
        label=_("rank is one of"),
        queryset=Rank.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any rank."),
    )

    class Meta:
        model = Segment
        fields = (
            "name",
            "bought_product",
            "bought_category",
            "bought_within_days",
            "min_spend",
            "spend_within_days",
            "no_order_days",
            "abandoned_cart_hours",
            "ranks",
            "line_linked",
            "age_bands",
            "genders",
            "cap_per_week",
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("spend_within_days") is not None and cleaned.get("min_spend") is None:
            self.add_error("min_spend", _("Enter the spend the period applies to."))
        return cleaned


def _count_fragment(segment: Segment, rank_ids: list[int] | None = None) -> str:
    return render_to_string(
        "loyalty/campaigns/admin_segment_count.html",
        {
            "count": segment_count(segment=segment, rank_ids=rank_ids),
            "reachable": segment_reachable_count(segment=segment, rank_ids=rank_ids),
        },
    )


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    form = SegmentForm
    # The count runs one query per row; a shop has a handful of segments, so the list stays fast enough.
    list_display = ("name", "conditions", "member_count", "cap_per_week", "updated_at")
    search_fields = ("name",)
    autocomplete_fields = ("bought_product",)
    readonly_fields = ("live_count",)
    fieldsets = (
        (None, {"fields": ("name", "live_count")}),
        (_("Purchases"), {"fields": ("bought_product", "bought_category", "bought_within_days")}),
        (
            _("Spend and activity"),
            {"fields": ("min_spend", "spend_within_days", "no_order_days", "abandoned_cart_hours")},
        ),
        (_("Membership"), {"fields": ("ranks", "line_linked")}),
        (_("Profile (with consent)"), {"fields": ("age_bands", "genders")}),
        (_("Frequency"), {"fields": ("cap_per_week",)}),
    )

    class Media:
        js = (HTMX,)

    def get_urls(self):
        return [
            path("count/", self.admin_site.admin_view(self.count_view), name="loyalty_segment_count"),
            *super().get_urls(),
        ]

    def count_view(self, request):
        """The count for the conditions in the form as they are now, before saving (the "Count" button)."""
        if request.method != "POST" or not self.has_view_permission(request):
            return HttpResponse(status=405)
        form = SegmentForm(request.POST)
        if not form.is_valid():
            return HttpResponse(format_html('<span class="errornote">{}</span>', _("Correct the conditions first.")))
        segment = form.save(commit=False)
        return HttpResponse(_count_fragment(segment, [rank.pk for rank in form.cleaned_data["ranks"]]))

    @admin.display(description=_("members now"))
    def live_count(self, obj):
        count = _count_fragment(obj) if obj and obj.pk else ""
        return format_html(
            '<span id="segment-count">{}</span> <button type="button" class="button" hx-post="{}" '
            'hx-include="closest form" hx-target="#segment-count">{}</button>',
            count,
            reverse("admin:loyalty_segment_count"),
            _("Count with these conditions"),
        )

    @admin.display(description=_("members"))
    def member_count(self, obj):
        return segment_count(segment=obj)

    @admin.display(description=_("conditions"))
    def conditions(self, obj):
        parts = []
        if obj.bought_product_id:
            parts.append(_("bought %(product)s") % {"product": obj.bought_product})
        if obj.bought_category_id:
            parts.append(_("bought in %(category)s") % {"category": obj.bought_category})
        if obj.bought_within_days is not None:
            parts.append(_("within %(days)s days") % {"days": obj.bought_within_days})
        if obj.min_spend is not None:
            parts.append(_("spent ¥%(amount)s or more") % {"amount": f"{obj.min_spend:,}"})
        if obj.no_order_days is not None:
            parts.append(_("no order for %(days)s days") % {"days": obj.no_order_days})
        if obj.abandoned_cart_hours is not None:
            parts.append(_("abandoned cart"))
        if obj.line_linked is not None:
            parts.append(_("LINE-linked") if obj.line_linked else _("not LINE-linked"))
        if obj.age_bands or obj.genders:
            parts.append(_("age band / gender"))
        return ", ".join(str(part) for part in parts) or _("all members")


@admin.register(BannedWord)
class BannedWordAdmin(admin.ModelAdmin):
    list_display = ("word", "note", "created_at")
    search_fields = ("word", "note")


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = (
            "name",
            "segment",
            "channel",
            "subject",
            "text",
            "image",
            "product",
            "link_path",
            "coupon",
            "survey",
            "send_at",
        )

    def clean_link_path(self):
        link = self.cleaned_data["link_path"].strip()
        if link and not safe_internal_path(link):
            raise forms.ValidationError(_("Enter a page of this shop starting with /, such as /features/summer/."))
        return link


class VariantInline(admin.TabularInline):
    model = CampaignVariant
    extra = 0
    max_num = 3
    fields = ("label", "subject", "text", "weight")

    def _locked(self, obj):
        return obj is not None and obj.status in (Campaign.Status.SENDING, Campaign.Status.SENT)

    def has_add_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_delete_permission(request, obj)


CONTENT_FIELDS = {"subject", "text", "image", "product", "link_path", "coupon", "survey", "channel", "segment"}


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = ("name", "segment", "channel", "status", "send_at", "test_sent_at", "sent_at")
    list_filter = ("status", "channel")
    search_fields = ("name", "subject")
    list_select_related = ("segment",)
    autocomplete_fields = ("product",)
    raw_id_fields = ("coupon",)
    inlines = (VariantInline,)
    actions = ("send_test_to_me", "schedule")
    formfield_overrides = {models.ImageField: {"form_class": UserImageField}}
    readonly_fields = ("status", "blocked_reason", "test_sent_at", "sent_at", "created_by", "created_at", "results")
    fieldsets = (
        (None, {"fields": ("name", "segment", "channel", "status", "blocked_reason")}),
        (_("Message"), {"fields": ("subject", "text", "image", "product", "link_path", "coupon", "survey")}),
        (
            _("Sending"),
            {
                "fields": ("send_at", "test_sent_at", "sent_at", "created_by", "created_at"),
                "description": _(
                    "Send a test to yourself (action in the list), then schedule. Messages written between 21:00 "
                    "and 09:00 wait until 09:00; members without marketing consent or over the weekly cap get nothing."
                ),
            },
        ),
        (_("Results"), {"fields": ("results",)}),
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status in (Campaign.Status.SENDING, Campaign.Status.SENT):
            return [field.name for field in Campaign._meta.fields if field.name != "id"] + ["results"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if change and CONTENT_FIELDS & set(form.changed_data):
            campaign_content_changed(campaign=obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        campaign = form.instance
        if change and any(formset.has_changed() for formset in formsets):
            campaign_content_changed(campaign=campaign)
        words = campaign_check_content(campaign=campaign)
        if words:
            self.message_user(request, campaign.blocked_reason, messages.WARNING)

    @admin.display(description=_("results per variant"))
    def results(self, obj):
        if obj is None or obj.pk is None or obj.status in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED):
            words = campaign_banned_words(campaign=obj) if obj and obj.pk else []
            return _("Contains banned words: %(words)s") % {"words": ", ".join(words)} if words else "–"
        return render_to_string("loyalty/campaigns/admin_results.html", {"rows": campaign_results(campaign=obj)})

    @admin.action(description=_("Send a test of the selected campaigns to me"), permissions=["change"])
    def send_test_to_me(self, request, queryset):
        for campaign in queryset.select_related("product", "coupon", "survey"):
            try:
                written = campaign_send_test(campaign=campaign, staff_users=[request.user])
            except CampaignError as error:
                self.message_user(request, f"{campaign}: {error}", messages.ERROR)
                continue
            self.log_change(request, campaign, [{"changed": {"fields": ["test_sent_at"]}}])
            if written:
                self.message_user(request, _("%(campaign)s: test sent to you.") % {"campaign": campaign})
            else:
                self.message_user(
                    request,
                    _(
                        "%(campaign)s: no test was sent: your account has no e-mail address or LINE link for the channel."
                    )
                    % {"campaign": campaign},
                    messages.WARNING,
                )

    @admin.action(description=_("Schedule the selected campaigns"), permissions=["change"])
    def schedule(self, request, queryset):
        for campaign in queryset:
            try:
                campaign_schedule(campaign=campaign)
            except CampaignError as error:
                self.message_user(request, f"{campaign}: {error}", messages.ERROR)
                continue
            self.log_change(request, campaign, [{"changed": {"fields": ["status", "send_at"]}}])
            self.message_user(
                request,
                _("%(campaign)s: scheduled for %(time)s.")
                % {"campaign": campaign, "time": timezone.localtime(campaign.send_at).strftime("%Y-%m-%d %H:%M")},
            )
