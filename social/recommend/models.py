from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Slot(models.TextChoices):
    HOME = "home", _("Home page")
    PRODUCT = "product", _("Product page")
    CART = "cart", _("Cart")


class ProductView(models.Model):
    """One row per viewer, product and day (a member by account, a guest by the visitor cookie)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.CASCADE,
    )
    visitor_key = models.CharField(_("visitor"), max_length=32, blank=True)
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), related_name="+", on_delete=models.CASCADE
    )
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("product view")
        verbose_name_plural = _("product views")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "product", "day"], condition=Q(user__isnull=False), name="recommend_view_user_day"
            ),
            models.UniqueConstraint(
                fields=["visitor_key", "product", "day"],
                condition=Q(user__isnull=True),
                name="recommend_view_visitor_day",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(visitor_key=""), name="recommend_view_has_viewer"
            ),
        ]
        indexes = [models.Index(fields=["user", "-day"])]

    def __str__(self):
        return f"{self.user_id or self.visitor_key} {self.product_id} {self.day}"


class Recommendation(models.Model):
    """A precomputed list: slot "product" keyed by product id (bought together), slot "home" keyed by user id
    ("for you"), "category:<id>" or "popular". The cart reads the product lists of its items."""

    slot = models.CharField(_("slot"), max_length=10, choices=Slot.choices)
    key = models.CharField(_("key"), max_length=40)
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), related_name="+", on_delete=models.CASCADE
    )
    score = models.FloatField(_("score"))
    position = models.PositiveSmallIntegerField(_("rank"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ("slot", "key", "position")
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        constraints = [
            models.UniqueConstraint(fields=["slot", "key", "product"], name="recommend_rec_unique"),
        ]
        indexes = [models.Index(fields=["slot", "key", "position"])]

    def __str__(self):
        return f"{self.slot}:{self.key} #{self.position} {self.product_id}"


class RecommendationStat(models.Model):
    slot = models.CharField(_("slot"), max_length=10, choices=Slot.choices)
    day = models.DateField(_("day"))
    impressions = models.PositiveIntegerField(_("impressions"), default=0)
    clicks = models.PositiveIntegerField(_("clicks"), default=0)
    # Paid orders by the clicking member that contain the clicked product within 7 days (set by the hourly task).
    attributed_orders = models.PositiveIntegerField(_("attributed orders"), default=0)

    class Meta:
        ordering = ("-day", "slot")
        verbose_name = _("recommendation statistic")
        verbose_name_plural = _("recommendation statistics")
        constraints = [models.UniqueConstraint(fields=["slot", "day"], name="recommend_stat_slot_day")]

    def __str__(self):
        return f"{self.slot} {self.day}"

    @property
    def ctr(self) -> float | None:
        return self.clicks / self.impressions if self.impressions else None


class RecommendationClick(models.Model):
    slot = models.CharField(_("slot"), max_length=10, choices=Slot.choices)
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), related_name="+", on_delete=models.CASCADE
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.CASCADE,
    )
    visitor_key = models.CharField(_("visitor"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("recommendation click")
        verbose_name_plural = _("recommendation clicks")
        indexes = [models.Index(fields=["user", "product", "created_at"])]

    def __str__(self):
        return f"{self.slot} {self.product_id}"
