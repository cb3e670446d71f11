from django import forms
from django.contrib import admin
from django.db.models import Count, Sum
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shop.core.money import Money

from .models import Cart, CartLine, ShippingMethod


class CartLineInline(admin.TabularInline):
    """What the shopper has in the cart, for support staff answering "my cart is wrong" inquiries."""

    model = CartLine
    fields = ("sku", "variant", "unit_price", "quantity", "stock_now", "created_at", "updated_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("variant__product")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("SKU"))
    def sku(self, line):
        return line.variant.sku

    @admin.display(description=_("price (tax incl.)"))
    def unit_price(self, line):
        return Money(line.variant.price, line.variant.product.currency).format()

    @admin.display(description=_("stock now"))
    def stock_now(self, line):
        return line.variant.stock


class GuestListFilter(admin.SimpleListFilter):
    title = _("shopper")
    parameter_name = "shopper"

    def lookups(self, request, model_admin):
        return (("member", _("Signed in")), ("guest", _("Guest")))

    def queryset(self, request, queryset):
        if self.value() == "member":
            return queryset.filter(user__isnull=False)
        if self.value() == "guest":
            return queryset.filter(user__isnull=True)
        return queryset


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    """Read-only: carts change only through the shop. Staff may delete an abandoned or broken cart."""

    list_display = ("__str__", "user_email", "token", "line_count", "item_count", "updated_at")
    list_filter = (GuestListFilter,)
    list_select_related = ("user",)
    search_fields = ("user__email", "token")
    date_hierarchy = "updated_at"
    ordering = ("-updated_at",)
    fields = ("user", "token", "created_at", "updated_at")
    readonly_fields = fields
    inlines = (CartLineInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(line_total=Count("lines"), item_total=Sum("lines__quantity"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("email address"), ordering="user__email")
    def user_email(self, cart):
        return cart.user.email if cart.user_id else "—"

    @admin.display(description=_("lines"), ordering="line_total")
    def line_count(self, cart):
        return cart.line_total

    @admin.display(description=_("items"), ordering="item_total")
    def item_count(self, cart):
        return cart.item_total or 0


SHIPPING_METHOD_FIELDS = (
    "name",
    "code",
    "description",
    "fee",
    "free_over",
    "days_min",
    "days_max",
    "remote_extra_days",
    "position",
    "is_active",
)


class ShippingMethodForm(forms.ModelForm):
    class Meta:
        model = ShippingMethod
        fields = SHIPPING_METHOD_FIELDS

    def clean(self):
        data = super().clean()
        days_min, days_max = data.get("days_min"), data.get("days_max")
        if days_min is not None and days_max is not None and days_min > days_max:
            self.add_error("days_max", gettext("The latest delivery day cannot be before the earliest."))
        return data


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    """Fees and delivery estimates are edited straight in the list; checkout quotes them from here."""

    list_display = ("name", "code", "fee", "free_over", "days_min", "days_max", "remote_extra_days", "is_active")
    list_display_links = ("name",)
    list_editable = ("fee", "free_over", "days_min", "days_max", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code")
    ordering = ("position", "fee")
    fields = SHIPPING_METHOD_FIELDS
    form = ShippingMethodForm

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=ShippingMethodForm, **kwargs)
