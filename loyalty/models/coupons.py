"""Coupons and their uses on orders."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shop.orders.models import Order

from .points import Rank


class Coupon(models.Model):
    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percent off the items")
        FIXED = "fixed", _("Amount off")
        FREE_SHIPPING = "free_shipping", _("Free shipping")

    class Channel(models.TextChoices):
        ANY = "", _("Anyone")
        LINE = "line", _("LINE-linked members only")

    code = models.CharField(_("code"), max_length=40, unique=True, help_text=_("Upper-case letters and digits."))
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("conditions shown to shoppers"), max_length=300, blank=True)
    kind = models.CharField(_("discount type"), max_length=20, choices=Kind.choices, default=Kind.FIXED)
    value = models.PositiveIntegerField(_("value"), default=0, help_text=_("Percent (1-100) or yen."))
    max_discount = models.PositiveIntegerField(_("largest discount (yen)"), null=True, blank=True)
    min_subtotal = models.PositiveIntegerField(_("minimum purchase (tax incl.)"), default=0)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    max_uses = models.PositiveIntegerField(_("uses in total"), null=True, blank=True)
    max_uses_per_user = models.PositiveIntegerField(_("uses per member"), null=True, blank=True, default=1)
    ranks = models.ManyToManyField(
        Rank, verbose_name=_("only for ranks"), blank=True, related_name="+", help_text=_("Empty: every rank.")
    )
    segments = models.ManyToManyField(
        "Segment",
        verbose_name=_("only for segments"),
        blank=True,
        related_name="+",
        help_text=_("Empty: everyone. Otherwise the member must be in one of these segments when ordering."),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    members_only = models.BooleanField(_("members only"), default=False)
    # "Only these items": with products or categories set, the discount is taken only on the matching cart items
    # (a category includes its sub-categories); both empty means the whole order.
    products = models.ManyToManyField(
        "catalog.Product", verbose_name=_("only these products"), blank=True, related_name="+"
    )
    categories = models.ManyToManyField(
        "catalog.Category", verbose_name=_("only these categories"), blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("personal coupon of"),
        null=True,
        blank=True,
        related_name="personal_coupons",
        on_delete=models.CASCADE,
    )
    template = models.ForeignKey(
        "self",
        verbose_name=_("copied from"),
        null=True,
        blank=True,
        related_name="copies",
        on_delete=models.SET_NULL,
    )
    # Why a personal copy was made ("welcome", "birthday:2026", "share:3:2"): one copy per member and reason.
    issue_key = models.CharField(_("issued for"), max_length=60, blank=True)
    is_listed = models.BooleanField(
        _("listed on members' coupon pages"),
        default=False,
        help_text=_("Off: only people who were given the code know it (personal coupons are always listed)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "issue_key"], condition=~Q(issue_key=""), name="loyalty_coupon_issued_once"
            ),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__gte=1, value__lte=100), name="loyalty_coupon_percent_range"
            ),
        ]

    def __str__(self):
        return self.code


class CouponRedemption(models.Model):
    """A coupon on an order: held while the order waits for payment, used once paid, released if it is cancelled."""

    class Status(models.TextChoices):
        HELD = "held", _("Held for an unpaid order")
        USED = "used", _("Used")
        RELEASED = "released", _("Released")

    coupon = models.ForeignKey(Coupon, verbose_name=_("coupon"), related_name="redemptions", on_delete=models.PROTECT)
    order = models.OneToOneField(
        Order, verbose_name=_("order"), related_name="coupon_redemption", on_delete=models.CASCADE
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    email = models.EmailField(_("email"))
    amount = models.PositiveIntegerField(_("discount"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.HELD, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("coupon use")
        verbose_name_plural = _("coupon uses")

    def __str__(self):
        return f"{self.coupon} → {self.order}"


# --- Segments, campaigns and surveys ----------------------------------------------------------------------------------
