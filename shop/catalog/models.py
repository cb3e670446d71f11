import unicodedata

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from shop.core.links import reverse_cached
from shop.core.models import TimeStampedModel
from shop.core.money import Money


def normalize_search_text(text: str) -> str:
    """NFKC folds full-width letters and half-width kana, so "ＮＩＴ" finds "nit" and "ﾆｯﾄ" finds "ニット"."""
    return unicodedata.normalize("NFKC", text).lower()


def compare_at_money(price: int, compare_at_price: int | None, currency: str) -> Money | None:
    """The crossed-out "was" price of a product or variant: only one above its price."""
    if compare_at_price and compare_at_price > price:
        return Money(compare_at_price, currency)
    return None


class Category(models.Model):
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, related_name="children", on_delete=models.PROTECT
    )
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ("position", "name")
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return f"{self.parent.name} › {self.name}" if self.parent_id and self.parent else self.name

    def get_absolute_url(self):
        return reverse_cached("catalog:category", slug=self.slug)


class Product(TimeStampedModel):
    category = models.ForeignKey(
        Category, verbose_name=_("category"), related_name="products", on_delete=models.PROTECT
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    brand = models.CharField(_("brand"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    tags = models.CharField(_("tags"), max_length=255, blank=True, help_text=_("Separate words with spaces."))
    currency = models.CharField(_("currency"), max_length=3, default="JPY", editable=False)
    is_active = models.BooleanField(_("on sale"), default=True)
    is_featured = models.BooleanField(_("featured"), default=False)
    available_until = models.DateTimeField(
        _("sold until"), null=True, blank=True, help_text=_("For event-limited products; empty means no end.")
    )
    popularity = models.PositiveIntegerField(_("units sold"), default=0, db_index=True)

    # Kept in step with the variants by services.product_sync_from_variants so that listings can filter and
    # sort on one table instead of aggregating variants per row.
    price = models.PositiveIntegerField(_("price from (tax incl.)"), default=0, editable=False, db_index=True)
    compare_at_price = models.PositiveIntegerField(_("compare-at price"), null=True, blank=True, editable=False)
    in_stock = models.BooleanField(_("in stock"), default=False, editable=False)
    search_text = models.TextField(editable=False, blank=True)
    # The published reviews' figures, kept by shop.reviews (services.product_rating_refresh, on every change of a
    # review) so that cards and the product page show stars without a query to the reviews table per page, as
    # django-oscar keeps Product.rating. Catalogue code reads them and never writes them.
    review_count = models.PositiveIntegerField(_("published reviews"), default=0, editable=False)
    rating_average = models.FloatField(_("average rating"), null=True, blank=True, editable=False)
    # Reviews per rating, 1 to 5 stars ([] before the first review).
    rating_counts = models.JSONField(_("reviews per rating"), default=list, blank=True, editable=False)

    history = HistoricalRecords(
        excluded_fields=[
            "search_text",
            "popularity",
            "updated_at",
            "review_count",
            "rating_average",
            "rating_counts",
        ]
    )

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [
            models.Index(fields=["is_active", "-created_at"]),
            # Listings count what is on sale (is_active, not past available_until) on every page: with these indexes
            # PostgreSQL counts from the index alone instead of reading the table, for all products and for a
            # category (its top level with 2,500 of 10,000 products: 1.2 ms to 0.55 ms a page).
            models.Index(fields=["is_active", "available_until"], name="catalog_product_on_sale_idx"),
            models.Index(fields=["category", "is_active", "available_until"], name="catalog_product_cat_sale_idx"),
            # A product page's related products: the first few of a category, in stock and most popular first.
            models.Index(fields=["category", "in_stock", "popularity", "id"], name="catalog_product_related_idx"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.search_text = normalize_search_text(" ".join((self.name, self.brand, self.tags, self.description)))
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse_cached("catalog:product", slug=self.slug)

    @property
    def price_money(self) -> Money:
        return Money(self.price, self.currency)

    @property
    def compare_at_money(self) -> Money | None:
        return compare_at_money(self.price, self.compare_at_price, self.currency)

    @property
    def is_sale_over(self) -> bool:
        return self.available_until is not None and self.available_until <= timezone.now()

    @property
    def is_buyable(self) -> bool:
        return self.is_active and not self.is_sale_over


class Variant(TimeStampedModel):
    product = models.ForeignKey(Product, verbose_name=_("product"), related_name="variants", on_delete=models.CASCADE)
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    size = models.CharField(_("size"), max_length=20, blank=True)
    colour = models.CharField(_("colour"), max_length=30, blank=True)
    colour_hex = models.CharField(_("colour code"), max_length=7, blank=True, help_text="#1f2a44")
    price = models.PositiveIntegerField(_("price (tax incl.)"))
    compare_at_price = models.PositiveIntegerField(
        _("compare-at price"), null=True, blank=True, help_text=_("The earlier price, shown struck through.")
    )
    stock = models.PositiveIntegerField(_("stock"), default=0)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("on sale"), default=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ("position", "id")
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        constraints = [models.CheckConstraint(condition=models.Q(stock__gte=0), name="variant_stock_not_negative")]
        indexes = [models.Index(fields=["size"]), models.Index(fields=["colour"])]

    def __str__(self):
        return f"{self.product.name} ({self.label})" if self.label else self.product.name

    @property
    def label(self) -> str:
        return " / ".join(part for part in (self.colour, self.size) if part)

    @property
    def price_money(self) -> Money:
        return Money(self.price, self.product.currency)

    @property
    def compare_at_money(self) -> Money | None:
        return compare_at_money(self.price, self.compare_at_price, self.product.currency)

    @property
    def max_quantity(self) -> int:
        """The most units a shopper may put in the cart at once."""
        return max(0, min(self.stock, settings.SHOP_MAX_LINE_QUANTITY))

    @property
    def stock_state(self) -> str:
        if not self.is_active or self.stock <= 0:
            return "sold_out"
        if self.stock <= settings.SHOP_LOW_STOCK_THRESHOLD:
            return "low"
        return "in_stock"


class ProductImage(models.Model):
    # Indexed with the order below (catalog_image_order_idx), which serves the product's lookups too.
    product = models.ForeignKey(
        Product, verbose_name=_("product"), related_name="images", on_delete=models.CASCADE, db_index=False
    )
    image = models.ImageField(_("image"), upload_to="products/%Y/%m/", width_field="width", height_field="height")
    width = models.PositiveIntegerField(editable=False, null=True)
    height = models.PositiveIntegerField(editable=False, null=True)
    alt = models.CharField(_("alternative text"), max_length=200, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    # {"source": <image name they were made from>, "webp": {"320": path, ...}, "og": path}; made by a task.
    renditions = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ("position", "id")
        # A product's images in order: every product card reads its first image (a subquery per card), which an
        # index on the product alone made PostgreSQL sort for each card; with this one it reads the first entry.
        # 24 cards of the product list: 0.17 -> 0.11 ms of the statement's execution.
        indexes = [models.Index(fields=["product", "position", "id"], name="catalog_image_order_idx")]
        verbose_name = _("product image")
        verbose_name_plural = _("product images")

    def __str__(self):
        return self.alt or self.image.name

    @property
    def renditions_ready(self) -> bool:
        return self.renditions.get("source") == self.image.name


class Feature(TimeStampedModel):
    """A seasonal or event feature page (Valentine's, Christmas, New Year lucky bags…) shown on the home page."""

    class Kind(models.TextChoices):
        SEASONAL = "seasonal", _("Seasonal")
        VALENTINE = "valentine", _("Valentine's Day")
        WHITE_DAY = "white_day", _("White Day")
        MOTHERS_DAY = "mothers_day", _("Mother's Day")
        FATHERS_DAY = "fathers_day", _("Father's Day")
        CHRISTMAS = "christmas", _("Christmas")
        NEW_YEAR = "new_year", _("New Year")
        SALE = "sale", _("Sale")

    title = models.CharField(_("title"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.SEASONAL)
    lead = models.CharField(_("lead"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    banner = models.ImageField(_("banner"), upload_to="features/", blank=True)
    accent_colour = models.CharField(_("accent colour"), max_length=7, default="#b5485d")
    products = models.ManyToManyField(Product, verbose_name=_("products"), related_name="features", blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("published"), default=True)

    class Meta:
        ordering = ("position", "-starts_at")
        verbose_name = _("feature")
        verbose_name_plural = _("features")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="feature_ends_after_start"
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("catalog:feature", kwargs={"slug": self.slug})

    @property
    def is_live(self) -> bool:
        return self.is_active and self.starts_at <= timezone.now() < self.ends_at
