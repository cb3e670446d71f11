"""Products as a CSV spreadsheet, one row per SKU, for staff who keep the catalogue in Excel.

Columns: sku, product_slug, product_name, brand, category_slug, size, colour, price, compare_at_price, stock,
is_active (the SKU's own "on sale" flag). A row updates the SKU if it exists and creates it otherwise; its product
is found by slug and created when new. Blank product cells leave an existing product as it is.

An import is all or nothing: one bad row and no row is saved, so a half-applied price list never goes live.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets
from import_export.formats import base_formats
from import_export.instance_loaders import CachedInstanceLoader

from .models import Category, Product, Variant
from .services import product_sync_from_variants

COLUMNS = (
    "sku",
    "product_slug",
    "product_name",
    "brand",
    "category_slug",
    "size",
    "colour",
    "price",
    "compare_at_price",
    "stock",
    "is_active",
)

# Product model field behind each product column, so model validation messages land on the right column.
_PRODUCT_COLUMNS = {"product_name": "name", "brand": "brand"}

_WHOLE_NUMBER = re.compile(r"-?\d{1,9}")


class CsvDecodeError(ValueError):
    """The uploaded bytes are in no encoding Excel in Japan saves CSV in."""


def decode_csv_bytes(data: bytes) -> str:
    """Excel's "CSV UTF-8" writes a BOM, plain UTF-8 has none, and Excel's plain "CSV" in Japan is cp932."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError:
        raise CsvDecodeError(
            _(
                "The file could not be read as UTF-8 or Shift_JIS (cp932). "
                "In Excel, save it as “CSV UTF-8 (comma delimited)” and upload it again."
            )
        )


class ExcelCSV(base_formats.CSV):
    """CSV that Excel in Japan opens as it is: written as UTF-8 with a BOM (without one Excel assumes cp932 and
    shows mojibake); read as UTF-8 with or without BOM, or cp932.

    Declared binary so that import-export hands over the raw bytes and leaves the encoding to this class.
    """

    CONTENT_TYPE = "text/csv; charset=utf-8"

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            in_stream = decode_csv_bytes(in_stream)
        return super().create_dataset(in_stream, **kwargs)

    def export_data(self, dataset, **kwargs):
        return super().export_data(dataset, **kwargs).encode("utf-8-sig")


def _normalise_cell(value):
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    return value


class WholeNumberWidget(widgets.IntegerWidget):
    """Yen amounts and stock counts: whole numbers of 0 or more. "1,980", "¥1,980" and full-width digits are
    accepted as Excel shows them; "1980.5", "-1" and "abc" are row errors, never rounded or cut."""

    def clean(self, value, row=None, **kwargs):
        if self.is_empty(value):
            return None
        if isinstance(value, bool):
            raise ValueError(_("Enter a whole number of 0 or more."))
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int):
            number = value
        else:
            text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "").removeprefix("¥").strip()
            if not _WHOLE_NUMBER.fullmatch(text):
                raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value})
            number = int(text)
        if number < 0:
            raise ValueError(_("Enter a whole number of 0 or more (got %(value)s).") % {"value": number})
        return number

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class YesNoWidget(widgets.BooleanWidget):
    """1/0, TRUE/FALSE (as Excel writes them) and a few Japanese words; anything else is a row error."""

    TRUE_WORDS = {"1", "true", "yes", "y", "○", "はい", "有効", "販売中"}
    FALSE_WORDS = {"0", "false", "no", "n", "×", "いいえ", "無効", "停止"}

    def clean(self, value, row=None, **kwargs):
        if value is None or isinstance(value, bool):
            return value
        text = unicodedata.normalize("NFKC", str(value)).strip().lower()
        if not text:
            return None
        if text in self.TRUE_WORDS:
            return True
        if text in self.FALSE_WORDS:
            return False
        raise ValueError(_("“%(value)s” is not one of 1/0, TRUE/FALSE.") % {"value": value})


class VariantCsvResource(resources.ModelResource):
    sku = fields.Field(attribute="sku", column_name="sku", widget=widgets.CharWidget())
    product_slug = fields.Field(attribute="product__slug", column_name="product_slug", readonly=True)
    product_name = fields.Field(attribute="product__name", column_name="product_name", readonly=True)
    brand = fields.Field(attribute="product__brand", column_name="brand", readonly=True)
    category_slug = fields.Field(attribute="product__category__slug", column_name="category_slug", readonly=True)
    size = fields.Field(attribute="size", column_name="size", widget=widgets.CharWidget())
    colour = fields.Field(attribute="colour", column_name="colour", widget=widgets.CharWidget())
    # Blank price/stock/is_active cells keep what the SKU has (a new SKU still needs a price);
    # a blank compare-at price removes the struck-through price.
    price = fields.Field(attribute="price", column_name="price", widget=WholeNumberWidget(), saves_null_values=False)
    compare_at_price = fields.Field(
        attribute="compare_at_price", column_name="compare_at_price", widget=WholeNumberWidget()
    )
    stock = fields.Field(attribute="stock", column_name="stock", widget=WholeNumberWidget(), saves_null_values=False)
    is_active = fields.Field(
        attribute="is_active", column_name="is_active", widget=YesNoWidget(), saves_null_values=False
    )

    class Meta:
        model = Variant
        name = gettext_lazy("Products by SKU")
        fields = COLUMNS
        import_order = COLUMNS
        export_order = COLUMNS
        import_id_fields = ("sku",)
        instance_loader_class = CachedInstanceLoader
        use_transactions = True
        clean_model_instances = True
        skip_unchanged = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._reset_import_state()

    def _reset_import_state(self):
        self._products: dict[str, Product | None] = {}
        self._categories: dict[str, Category | None] = {}
        self._changed_products: set[str] = set()
        self._seen_skus: set[str] = set()
        self._touched_product_ids: set[int] = set()

    def get_queryset(self):
        return Variant.objects.select_related("product__category")

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("product__category").order_by("product__slug", "position", "id")

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=True,
        **kwargs,
    ):
        """All or nothing by default: a row with a validation error rolls the whole file back."""
        return super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=use_transactions,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=rollback_on_validation_errors,
            **kwargs,
        )

    def before_import(self, dataset, **kwargs):
        # The same resource may run a dry run and then the real import; nothing cached may outlive a rollback.
        self._reset_import_state()
        if dataset.headers:
            dataset.headers = [_normalise_cell(header) for header in dataset.headers]
        rows = [tuple(_normalise_cell(cell) for cell in row) for row in dataset]
        # Excel keeps rows that were only ever formatted as ",,,,"; they are not data.
        rows = [row for row in rows if any(cell not in (None, "") for cell in row)]
        del dataset[:]
        for row in rows:
            dataset.append(row)

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        sku = row.get("sku") or ""
        if not sku:
            errors.setdefault("sku", []).append(_("Enter a SKU."))
        elif sku in self._seen_skus:
            errors.setdefault("sku", []).append(_("SKU %(sku)s appears more than once in the file.") % {"sku": sku})
        self._seen_skus.add(sku)
        product, changes, product_errors = self._resolve_product(instance, row)
        for column, messages in product_errors.items():
            errors.setdefault(column, []).extend(messages)
        if errors:
            raise ValidationError(errors)
        for attribute, value in changes.items():
            setattr(product, attribute, value)
        if changes:
            self._changed_products.add(product.slug)
        instance.product = product

    def _resolve_product(self, instance, row) -> tuple[Product | None, dict, dict[str, list[str]]]:
        """The row's product (an unsaved one when the slug is new), the changes the row makes to it, and errors."""
        errors: dict[str, list[str]] = {}
        current_slug = instance.product.slug if instance.product_id else None
        slug = row.get("product_slug") or current_slug
        if not slug:
            return None, {}, {"product_slug": [_("Enter the product slug for a new SKU.")]}
        if current_slug and slug != current_slug:
            message = _("This SKU belongs to product “%(slug)s”; an import does not move SKUs between products.")
            return None, {}, {"product_slug": [message % {"slug": current_slug}]}
        try:
            validate_slug(slug)
        except ValidationError as exc:
            return None, {}, {"product_slug": exc.messages}
        product = self._product_by_slug(slug)
        if product is None:
            product = Product(slug=slug)
        changes = {}
        for column, attribute in _PRODUCT_COLUMNS.items():
            value = row.get(column) or ""
            if not value:
                continue
            try:
                value = Product._meta.get_field(attribute).clean(value, None)
            except ValidationError as exc:
                errors[column] = exc.messages
                continue
            if value != getattr(product, attribute):
                changes[attribute] = value
        category_slug = row.get("category_slug") or ""
        if category_slug:
            category = self._category_by_slug(category_slug)
            if category is None:
                errors["category_slug"] = [_("There is no category “%(slug)s”.") % {"slug": category_slug}]
            elif category.pk != product.category_id:
                changes["category"] = category
        if product.pk is None:
            if not row.get("product_name"):
                errors.setdefault("product_name", []).append(_("Enter the product name for a new product."))
            if not category_slug:
                errors.setdefault("category_slug", []).append(_("Enter the category slug for a new product."))
        return product, changes, errors

    def _product_by_slug(self, slug: str) -> Product | None:
        if slug not in self._products:
            self._products[slug] = Product.objects.filter(slug=slug).select_related("category").first()
        return self._products[slug]

    def _category_by_slug(self, slug: str) -> Category | None:
        if slug not in self._categories:
            self._categories[slug] = Category.objects.filter(slug=slug).first()
        return self._categories[slug]

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # The product may not be saved yet (it is saved with the SKU, once the row is known to be valid),
        # and it was checked column by column in _resolve_product.
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(exclude=[*errors, "product"], validate_unique=validate_unique)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def before_save_instance(self, instance, row, **kwargs):
        product = instance.product
        if product.pk is None or product.slug in self._changed_products:
            product.save()
            self._products[product.slug] = product
            self._changed_products.discard(product.slug)
        instance.product = product

    def after_save_instance(self, instance, row, **kwargs):
        self._touched_product_ids.add(instance.product_id)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if kwargs.get("dry_run"):
            return
        # The listing summary (price from, in stock) follows the imported SKUs; a rollback undoes this too.
        for product_id in sorted(self._touched_product_ids):
            product_sync_from_variants(product_id=product_id)
