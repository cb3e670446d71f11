"""Share campaigns, their tiers, the purchases counted towards them (with fraud checks) and the rewards earned."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from loyalty.models import Coupon
from shop.catalog.models import Category, Product
from shop.orders.models import Order


class ShareCampaign(models.Model):
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description (shown to shoppers)"), blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    products = models.ManyToManyField(Product, verbose_name=_("products"), blank=True, related_name="+")
    categories = models.ManyToManyField(
        Category,
        verbose_name=_("categories"),
        blank=True,
        related_name="+",
        help_text=_("No products and no categories: every product counts."),
    )
    daily_cap = models.PositiveSmallIntegerField(
        _("most purchases counted per sharer per day"),
        default=5,
        help_text=_("Purchases above this in one day wait for review."),
    )
    network_window_hours = models.PositiveSmallIntegerField(_("new-account window (hours)"), default=24)
    network_max_accounts = models.PositiveSmallIntegerField(
        _("new accounts from one network before review"),
        default=3,
        help_text=_("A buyer whose account is one of more than this many made from one network within the window."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ("-starts_at",)
        verbose_name = _("share campaign")
        verbose_name_plural = _("share campaigns")

    def __str__(self):
        return self.name


class ShareTier(models.Model):
    campaign = models.ForeignKey(
        ShareCampaign, verbose_name=_("campaign"), related_name="tiers", on_delete=models.CASCADE
    )
    buyers = models.PositiveSmallIntegerField(_("distinct buyers needed"))
    points = models.PositiveIntegerField(_("points"), default=0)
    coupon = models.ForeignKey(
        Coupon,
        verbose_name=_("coupon (a personal copy is given)"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )

    class Meta:
        ordering = ("campaign", "buyers")
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "buyers"], name="share_rewards_tier_unique"),
            models.CheckConstraint(condition=models.Q(buyers__gte=1), name="share_rewards_tier_buyers_positive"),
        ]

    def __str__(self):
        return f"{self.campaign}: {self.buyers}"


class SharePurchase(models.Model):
    """A paid order attributed to a sharer's link that falls under a campaign, with the result of the fraud checks."""

    class Status(models.TextChoices):
        COUNTED = "counted", _("Counted")
        REVIEW = "review", _("Waiting for review")
        APPROVED = "approved", _("Approved by staff")
        REJECTED = "rejected", _("Rejected")
        REFUNDED = "refunded", _("Refunded")

    campaign = models.ForeignKey(
        ShareCampaign, verbose_name=_("campaign"), related_name="purchases", on_delete=models.CASCADE
    )
    sharer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sharer"), related_name="+", on_delete=models.CASCADE
    )
    order = models.ForeignKey(Order, verbose_name=_("order"), related_name="+", on_delete=models.CASCADE)
    # Who bought: "user:<id>" for members, "email:<address>" for guests; tiers count distinct buyers.
    buyer_key = models.CharField(_("buyer"), max_length=260)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, db_index=True)
    reasons = models.JSONField(_("fraud check findings"), default=list, blank=True)
    paid_at = models.DateTimeField(_("paid at"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("share purchase")
        verbose_name_plural = _("share purchases")
        constraints = [models.UniqueConstraint(fields=["campaign", "order"], name="share_rewards_purchase_once")]

    def __str__(self):
        return f"{self.campaign_id}: {self.order_id} → {self.sharer_id}"


class ShareReward(models.Model):
    """A tier reached by a sharer: pending until the purchases that reached it pass the return window."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")

    campaign = models.ForeignKey(
        ShareCampaign, verbose_name=_("campaign"), related_name="rewards", on_delete=models.CASCADE
    )
    tier = models.ForeignKey(ShareTier, verbose_name=_("tier"), related_name="rewards", on_delete=models.PROTECT)
    sharer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sharer"), related_name="share_rewards", on_delete=models.CASCADE
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    confirm_after = models.DateTimeField(_("confirmed after"))
    points = models.PositiveIntegerField(_("points"), default=0)
    coupon = models.ForeignKey(
        Coupon, verbose_name=_("coupon given"), null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("share reward")
        verbose_name_plural = _("share rewards")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "tier", "sharer"], name="share_rewards_reward_once"),
        ]

    def __str__(self):
        return f"{self.sharer_id}: {self.tier}"
