"""Share links (who shared what, where), the clicks they bring, and the orders attributed to them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shop.catalog.models import Product
from shop.orders.models import Order


class ShareLink(models.Model):
    class Channel(models.TextChoices):
        LINE = "line", "LINE"
        X = "x", "X"
        FACEBOOK = "facebook", "Facebook"
        COPY = "copy", _("Copied link")
        NATIVE = "native", _("Share sheet")

    code = models.CharField(_("code"), max_length=16, unique=True)
    sharer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sharer"), related_name="share_links", on_delete=models.CASCADE
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), null=True, blank=True, related_name="+", on_delete=models.CASCADE
    )
    # A plain id, not a foreign key: the feed's Post table belongs to another app with its own migration timing.
    post_id = models.PositiveBigIntegerField(_("post id"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # Taps on a tagged product by visitors who arrived through this link (a shared post's click-through).
    product_clicks = models.PositiveIntegerField(_("product clicks"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("share link")
        verbose_name_plural = _("share links")
        constraints = [
            models.CheckConstraint(
                condition=Q(product__isnull=False, post_id__isnull=True)
                | Q(product__isnull=True, post_id__isnull=False),
                name="shares_link_one_target",
            ),
            models.UniqueConstraint(
                fields=["sharer", "product", "channel"],
                condition=Q(product__isnull=False),
                name="shares_link_unique_product",
            ),
            models.UniqueConstraint(
                fields=["sharer", "post_id", "channel"],
                condition=Q(post_id__isnull=False),
                name="shares_link_unique_post",
            ),
        ]

    def __str__(self):
        return self.code


# The channels in their order, worked out once (Choices.values builds a new list on every use; pages ask for it
# on every view).
SHARE_CHANNELS = tuple(ShareLink.Channel.values)


class ShareClick(models.Model):
    """One counted click: a visitor (first-party cookie id) opening a link, at most once a day."""

    link = models.ForeignKey(ShareLink, verbose_name=_("share link"), related_name="clicks", on_delete=models.CASCADE)
    visitor_key = models.CharField(_("visitor"), max_length=32)
    day = models.DateField(_("day"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("share click")
        verbose_name_plural = _("share clicks")
        constraints = [
            models.UniqueConstraint(fields=["link", "visitor_key", "day"], name="shares_click_once_a_day"),
        ]

    def __str__(self):
        return f"{self.link_id} {self.day}"


class Attribution(models.Model):
    """The share an order came through: pending when placed, confirmed once paid in the window, reversed on refund."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Not counted")
        REVERSED = "reversed", _("Reversed")

    class Reason(models.TextChoices):
        NONE = "", "-"
        SELF_PURCHASE = "self_purchase", _("Bought by the sharer")
        EXPIRED = "expired", _("Paid after the 7-day window")
        REFUNDED = "refunded", _("Refunded")

    order = models.OneToOneField(
        Order, verbose_name=_("order"), related_name="share_attribution", on_delete=models.CASCADE
    )
    link = models.ForeignKey(
        ShareLink, verbose_name=_("share link"), related_name="attributions", on_delete=models.CASCADE
    )
    clicked_at = models.DateTimeField(_("clicked at"))
    # The buyer's browser and address when the order was placed (fraud checks of share rewards).
    visitor_key = models.CharField(_("buyer's browser"), max_length=32, blank=True)
    buyer_ip = models.GenericIPAddressField(_("buyer's IP address"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("attribution")
        verbose_name_plural = _("attributions")

    def __str__(self):
        return f"{self.order_id} ← {self.link_id}"


class PostDailyStat(models.Model):
    """A post's impressions (shown in a feed page or on its own page) and taps on its products, per day (Japan time).

    One row per post and day, bumped by a single upsert per page view, so counting never costs a query per post.
    """

    post_id = models.PositiveBigIntegerField(_("post id"))
    day = models.DateField(_("day"))
    impressions = models.PositiveIntegerField(_("impressions"), default=0)
    product_clicks = models.PositiveIntegerField(_("product clicks"), default=0)

    class Meta:
        verbose_name = _("post statistics")
        verbose_name_plural = _("post statistics")
        constraints = [models.UniqueConstraint(fields=["post_id", "day"], name="shares_post_stat_once_a_day")]

    def __str__(self):
        return f"#{self.post_id} {self.day}"

    @property
    def ctr(self) -> float | None:
        return self.product_clicks / self.impressions if self.impressions else None

    @property
    def post_total(self):
        """The post's all-time totals, when the row came through `selectors.post_stats_annotate`."""
        from .selectors import PostStats

        return PostStats(
            impressions=self.total_impressions or 0,
            product_clicks=self.total_product_clicks or 0,
            orders=self.total_orders or 0,
        )


class KnownDevice(models.Model):
    """A browser (first-party visitor id) a member has signed in from: a buyer on the same one is not a stranger."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), related_name="+", on_delete=models.CASCADE
    )
    visitor_key = models.CharField(_("browser"), max_length=32, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    first_seen = models.DateTimeField(_("first seen"), auto_now_add=True)

    class Meta:
        verbose_name = _("known browser")
        verbose_name_plural = _("known browsers")
        constraints = [models.UniqueConstraint(fields=["user", "visitor_key"], name="shares_device_once")]

    def __str__(self):
        return f"{self.user_id} {self.visitor_key[:8]}"
