"""Coupons in admin: shared codes and the personal copies made from them, and every use on an order."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from shop.core.admin_audit import PersonalDataAuditMixin

from ..models import Coupon, CouponRedemption
from ..selectors.coupons import COUNTED, coupon_code_normalise, coupon_date, coupon_discount_label


class CouponForm(forms.ModelForm):
    """The admin builds the fields from the fieldsets; this adds the checks a database constraint would make late."""

    def clean_code(self):
        return coupon_code_normalise(self.cleaned_data["code"])

    def clean(self):
        cleaned = super().clean()
        kind, value = cleaned.get("kind"), cleaned.get("value")
        if kind == Coupon.Kind.PERCENT and value is not None and not 1 <= value <= 100:
            self.add_error("value", _("A percentage must be between 1 and 100."))
        if kind == Coupon.Kind.FIXED and not value:
            self.add_error("value", _("Enter the amount in yen."))
        valid_from, valid_until = cleaned.get("valid_from"), cleaned.get("valid_until")
        if valid_from and valid_until and valid_until <= valid_from:
            self.add_error("valid_until", _("The end must be after the start."))
        return cleaned


class ValidityFilter(admin.SimpleListFilter):
    title = _("validity")
    parameter_name = "validity"

    def lookups(self, request, model_admin):
        return [("current", _("Valid now")), ("upcoming", _("Not yet valid")), ("expired", _("Expired"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        started = Q(valid_from__isnull=True) | Q(valid_from__lte=now)
        not_ended = Q(valid_until__isnull=True) | Q(valid_until__gt=now)
        if self.value() == "current":
            return queryset.filter(started & not_ended)
        if self.value() == "upcoming":
            return queryset.filter(valid_from__gt=now)
        if self.value() == "expired":
            return queryset.filter(valid_until__lte=now)
        return queryset


class PersonalFilter(admin.SimpleListFilter):
    """Personal copies (one per member) can outnumber shared codes many times over, so they are kept apart."""

    title = _("shared or personal")
    parameter_name = "personal"

    def lookups(self, request, model_admin):
        return [("no", _("Shared codes")), ("yes", _("Personal copies"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(owner__isnull=True)
        if self.value() == "yes":
            return queryset.filter(owner__isnull=False)
        return queryset


class RedemptionInline(admin.TabularInline):
    model = CouponRedemption
    extra = 0
    fields = ("order", "user", "email", "amount", "status", "created_at", "updated_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True
    ordering = ("-created_at",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Coupon)
class CouponAdmin(PersonalDataAuditMixin, admin.ModelAdmin):
    form = CouponForm
    list_display = ("code", "name", "kind", "discount", "validity", "uses", "owner", "is_listed", "is_active")
    list_filter = (PersonalFilter, "is_active", "is_listed", ValidityFilter, "kind", "channel", "members_only", "ranks")
    search_fields = ("code", "name", "owner__email", "issue_key")
    list_select_related = ("owner",)
    raw_id_fields = ("owner", "template")
    filter_horizontal = ("ranks", "segments")
    readonly_fields = ("template", "issue_key", "created_at")
    actions = ("deactivate",)
    inlines = (RedemptionInline,)
    fieldsets = (
        (None, {"fields": ("code", "name", "description", "is_active", "is_listed")}),
        (_("Discount"), {"fields": ("kind", "value", "max_discount", "min_subtotal")}),
        (_("Validity and limits"), {"fields": ("valid_from", "valid_until", "max_uses", "max_uses_per_user")}),
        (_("Who may use it"), {"fields": ("members_only", "channel", "ranks", "segments")}),
        (
            _("Personal copy"),
            {
                "fields": ("owner", "template", "issue_key", "created_at"),
                "description": _(
                    "Welcome, birthday and share-reward coupons are copied from a template coupon for each member. "
                    "The template itself may be inactive so that nobody can use its code directly."
                ),
            },
        ),
    )

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(used=Count("redemptions", filter=Q(redemptions__status__in=COUNTED)))
        )

    def get_readonly_fields(self, request, obj=None):
        # A code already given out or used stays as it is; staff make a new coupon instead.
        if obj is not None and (obj.owner_id is not None or obj.redemptions.exists()):
            return (*self.readonly_fields, "code", "owner")
        return self.readonly_fields

    def personal_data_customer_id(self, obj):
        return obj.owner_id

    @admin.display(description=_("discount"))
    def discount(self, obj):
        return coupon_discount_label(obj)

    @admin.display(description=_("validity"), ordering="valid_until")
    def validity(self, obj):
        start = coupon_date(obj.valid_from) if obj.valid_from else ""
        end = coupon_date(obj.valid_until) if obj.valid_until else ""
        return f"{start} – {end}" if start or end else "–"

    @admin.display(description=_("uses / limit"), ordering="used")
    def uses(self, obj):
        return f"{obj.used} / {obj.max_uses if obj.max_uses is not None else '∞'}"

    @admin.action(description=_("Deactivate the selected coupons"), permissions=["change"])
    def deactivate(self, request, queryset):
        coupons = list(queryset.filter(is_active=True))
        for coupon in coupons:
            coupon.is_active = False
            coupon.save(update_fields=["is_active"])
            self.log_change(request, coupon, [{"changed": {"fields": ["is_active"]}}])
        self.message_user(
            request,
            ngettext("%(count)d coupon deactivated.", "%(count)d coupons deactivated.", len(coupons))
            % {"count": len(coupons)},
            messages.SUCCESS,
        )


@admin.register(CouponRedemption)
class CouponRedemptionAdmin(PersonalDataAuditMixin, admin.ModelAdmin):
    """A record of what happened at checkout: staff read it, the order's life changes it."""

    list_display = ("coupon", "order", "user", "email", "amount", "status", "created_at", "updated_at")
    list_filter = ("status",)
    search_fields = ("coupon__code", "order__number", "email")
    list_select_related = ("coupon", "order", "user")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
