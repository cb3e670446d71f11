from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccessRule(models.Model):
    """Products (or whole categories) that only an audience may buy from opens_at, and everyone from public_at
    (never, when empty: members-only for good). Before opens_at nobody may buy them."""

    class Audience(models.TextChoices):
        MEMBERS = "members", _("Signed-in members")
        FOLLOWERS = "followers", _("Followers of the shop")
        RANKS = "ranks", _("Members of these ranks")
        LINE_LINKED = "line_linked", _("LINE-linked members")

    name = models.CharField(_("name"), max_length=100, help_text=_("Shown on the badge, e.g. 会員限定セール."))
    products = models.ManyToManyField("catalog.Product", verbose_name=_("products"), blank=True, related_name="+")
    categories = models.ManyToManyField(
        "catalog.Category",
        verbose_name=_("categories"),
        blank=True,
        related_name="+",
        help_text=_("Every product in these categories and their sub-categories."),
    )
    audience = models.CharField(_("who may buy"), max_length=20, choices=Audience.choices, default=Audience.MEMBERS)
    ranks = models.ManyToManyField(
        "loyalty.Rank", verbose_name=_("ranks"), blank=True, related_name="+", help_text=_("For the audience “ranks”.")
    )
    opens_at = models.DateTimeField(_("opens for the audience at"), default=timezone.now)
    public_at = models.DateTimeField(
        _("open to everyone at"), null=True, blank=True, help_text=_("Empty: only the audience, for good.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ("opens_at", "pk")
        verbose_name = _("access rule")
        verbose_name_plural = _("access rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(public_at__isnull=True) | Q(public_at__gte=models.F("opens_at")),
                name="perks_rule_public_after_open",
            )
        ]

    def __str__(self):
        return self.name
