from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from shop.core.money import Money

from .models import Category, Feature, Product, ProductImage, Variant
from .resources import CsvDecodeError, ExcelCSV, VariantCsvResource
from .services import product_sync_from_variants

THUMBNAIL_SIZE = 48


def _image_url(image: ProductImage) -> str:
    """The smallest WebP rendition once the task has made it, else the upload itself."""
    if image.renditions_ready:
        smallest = min(image.renditions.get("webp", {}).items(), key=lambda item: int(item[0]), default=None)
        if smallest:
            return image.image.storage.url(smallest[1])
    return image.image.url


class CategoryListFilter(admin.RelatedFieldListFilter):
    """Category names read "parent › child"; load the parents in the same query instead of one per category."""

    def field_choices(self, field, request, model_admin):
        return [(category.pk, str(category)) for category in Category.objects.select_related("parent")]


class StockListFilter(admin.SimpleListFilter):
    title = _("stock")
    parameter_name = "stock_state"

    def lookups(self, request, model_admin):
        return (("sold_out", _("Sold out")), ("low", _("Low stock")), ("in_stock", _("In stock")))

    def queryset(self, request, queryset):
        low = settings.SHOP_LOW_STOCK_THRESHOLD
        if self.value() == "sold_out":
            return queryset.filter(stock=0)
        if self.value() == "low":
            return queryset.filter(stock__gt=0, stock__lte=low)
        if self.value() == "in_stock":
            return queryset.filter(stock__gt=low)
        return queryset


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "slug", "position", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("is_active", ("parent", CategoryListFilter))
    list_select_related = ("parent",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    ordering = ("position", "name")


class VariantInline(admin.TabularInline):
    model = Variant
    fields = (
        "sku",
        "size",
        "colour",
        "colour_hex",
        "price",
        "compare_at_price",
        "stock",
        "position",
        "is_active",
    )
    extra = 0
    # The variant's own page has its change history (who changed the price or stock, and when).
    show_change_link = True


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    fields = ("preview", "image", "alt", "position")
    readonly_fields = ("preview",)
    extra = 0

    @admin.display(description=_("preview"))
    def preview(self, obj):
        if not obj.pk or not obj.image:
            return "—"
        return format_html(
            '<img src="{}" alt="{}" width="96" height="96" loading="lazy">', _image_url(obj), obj.alt or ""
        )


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = (
        "thumbnail",
        "name",
        "brand",
        "category",
        "price_from",
        "in_stock",
        "is_active",
        "is_featured",
        "updated_at",
    )
    list_display_links = ("thumbnail", "name")
    list_filter = (("category", CategoryListFilter), "brand", "is_active", "is_featured", "in_stock")
    list_select_related = ("category__parent",)
    search_fields = ("name", "brand", "slug", "tags", "variants__sku")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("category",)
    readonly_fields = ("price_from", "compare_at_price", "in_stock", "popularity", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "slug", "category", "brand", "description", "tags")}),
        (_("Sale"), {"fields": ("is_active", "is_featured", "available_until")}),
        (
            _("Summary of the variants (updated on save)"),
            {"fields": ("price_from", "compare_at_price", "in_stock", "popularity", "created_at", "updated_at")},
        ),
    )
    inlines = (VariantInline, ProductImageInline)
    actions = ("make_active", "make_inactive", "make_featured", "make_not_featured")
    history_list_display = ("price", "in_stock", "is_active")

    def get_queryset(self, request):
        images = Prefetch("images", queryset=ProductImage.objects.order_by("position", "id"))
        return super().get_queryset(request).prefetch_related(images)

    @admin.display(description=_("image"))
    def thumbnail(self, obj):
        images = obj.images.all()
        if not images:
            return "—"
        return format_html(
            '<img src="{}" alt="{}" width="{}" height="{}" loading="lazy">',
            _image_url(images[0]),
            images[0].alt or obj.name,
            THUMBNAIL_SIZE,
            THUMBNAIL_SIZE,
        )

    @admin.display(description=_("price from (tax incl.)"), ordering="price")
    def price_from(self, obj):
        return Money(obj.price, obj.currency).format()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Variants are saved as inlines after the product; the listing summary must follow them.
        product_sync_from_variants(product_id=form.instance.pk)

    def _set_flag(self, request, queryset, field: str, value: bool) -> None:
        # One save per product (not queryset.update) so each change gets a history record with the staff user.
        with transaction.atomic():
            selected = queryset.values("pk")
            products = list(Product.objects.select_for_update().filter(pk__in=selected).exclude(**{field: value}))
            for product in products:
                setattr(product, field, value)
                product.updated_at = timezone.now()
                product.save(update_fields=[field, "updated_at"])
        self.message_user(
            request,
            ngettext("%(count)d product updated.", "%(count)d products updated.", len(products))
            % {"count": len(products)},
        )

    @admin.action(description=_("Put the selected products on sale"), permissions=["change"])
    def make_active(self, request, queryset):
        self._set_flag(request, queryset, "is_active", True)

    @admin.action(description=_("Take the selected products off sale"), permissions=["change"])
    def make_inactive(self, request, queryset):
        self._set_flag(request, queryset, "is_active", False)

    @admin.action(description=_("Feature the selected products"), permissions=["change"])
    def make_featured(self, request, queryset):
        self._set_flag(request, queryset, "is_featured", True)

    @admin.action(description=_("Stop featuring the selected products"), permissions=["change"])
    def make_not_featured(self, request, queryset):
        self._set_flag(request, queryset, "is_featured", False)


@admin.register(Variant)
class VariantAdmin(ImportExportMixin, SimpleHistoryAdmin):
    list_display = (
        "sku",
        "product",
        "colour",
        "size",
        "price",
        "compare_at_price",
        "stock",
        "is_active",
        "updated_at",
    )
    list_display_links = ("sku",)
    list_editable = ("price", "stock")
    list_filter = ("is_active", StockListFilter, ("product__category", CategoryListFilter), "size", "colour")
    list_select_related = ("product",)
    search_fields = ("sku", "product__name", "product__slug")
    autocomplete_fields = ("product",)
    fields = (
        "product",
        "sku",
        "size",
        "colour",
        "colour_hex",
        "price",
        "compare_at_price",
        "stock",
        "position",
        "is_active",
    )
    history_list_display = ("price", "compare_at_price", "stock", "is_active")

    # CSV by SKU: UTF-8 with BOM out (Excel in Japan), UTF-8 or cp932 in; see resources.ExcelCSV.
    resource_classes = (VariantCsvResource,)
    formats = (ExcelCSV,)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Also after list_editable saves, which call save_model but not save_related.
        product_sync_from_variants(product_id=obj.product_id)
        moved_from = form.initial.get("product") if change and "product" in form.changed_data else None
        if moved_from:
            product_sync_from_variants(product_id=moved_from)

    def delete_model(self, request, obj):
        product_id = obj.product_id
        super().delete_model(request, obj)
        product_sync_from_variants(product_id=product_id)

    def delete_queryset(self, request, queryset):
        product_ids = set(queryset.values_list("product_id", flat=True))
        super().delete_queryset(request, queryset)
        for product_id in sorted(product_ids):
            product_sync_from_variants(product_id=product_id)

    def has_import_permission(self, request):
        # An import adds and changes SKUs and products.
        return all(
            request.user.has_perm(f"catalog.{action}_{model}")
            for action in ("add", "change")
            for model in ("variant", "product")
        )

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, CsvDecodeError):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def get_export_filename(self, request, queryset, file_format):
        date = timezone.localdate().isoformat()
        return f"products-by-sku-{date}.{file_format.get_extension()}"


@admin.register(Feature)
class FeatureAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "starts_at", "ends_at", "is_live", "is_active", "position")
    list_editable = ("is_active", "position")
    list_filter = ("kind", "is_active")
    search_fields = ("title", "slug", "lead")
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("products",)
    date_hierarchy = "starts_at"
    fieldsets = (
        (None, {"fields": ("title", "slug", "kind", "lead", "description")}),
        (_("Look"), {"fields": ("banner", "accent_colour", "position")}),
        (_("Schedule"), {"fields": ("starts_at", "ends_at", "is_active")}),
        (_("Products"), {"fields": ("products",)}),
    )

    @admin.display(description=_("live now"), boolean=True)
    def is_live(self, obj):
        return obj.is_live
