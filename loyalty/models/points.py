"""Points: an append-only ledger, member ranks and the shop's loyalty settings.

The balance is never stored: it is the sum of the ledger. Each entry has a unique key naming the event it came
from ("order:42:earn"), so the same event can never award (or take) twice, however often a task runs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shop.orders.models import Order


class LoyaltySettings(models.Model):
    """The shop's loyalty rules, one row, edited in admin."""

    earn_rate_percent = models.DecimalField(
        _("points per ¥100 spent"),
        max_digits=5,
        decimal_places=2,
        default=1,
        help_text=_("1 means 1 point for every ¥100 of the order's items (1%). Multiplied by the member's rank."),
    )
    review_points = models.PositiveIntegerField(_("points for a published review"), default=30)
    review_photo_points = models.PositiveIntegerField(_("points for a published review with a photo"), default=80)
    return_window_days = models.PositiveSmallIntegerField(
        _("return window (days)"),
        default=14,
        help_text=_("Points for an order (and share rewards) become usable this many days after payment."),
    )
    expiry_days = models.PositiveIntegerField(_("points expire after (days)"), default=365)
    expiry_notice_days = models.PositiveSmallIntegerField(_("tell members before expiry (days)"), default=30)
    redeem_min = models.PositiveIntegerField(_("fewest points per order"), default=100)
    redeem_max_percent = models.PositiveSmallIntegerField(
        _("most of the items' price paid with points (%)"), default=100
    )
    rank_period_days = models.PositiveSmallIntegerField(_("rank counts spend over (days)"), default=365)
    welcome_coupon = models.ForeignKey(
        "Coupon",
        verbose_name=_("welcome coupon for new followers"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
        help_text=_("A personal copy is given to every member who follows the shop for the first time."),
    )
    birthday_coupon = models.ForeignKey(
        "Coupon",
        verbose_name=_("birthday-month coupon"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
        help_text=_(
            "A personal copy, valid to the end of the month, is given on the 1st of each member's birthday month."
        ),
    )

    class Meta:
        verbose_name = _("loyalty settings")
        verbose_name_plural = _("loyalty settings")

    def __str__(self):
        return str(_("Loyalty settings"))

    @classmethod
    def load(cls) -> "LoyaltySettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class Rank(models.Model):
    """A member rank reached by spend over the rank period, with its benefits."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    min_spend = models.PositiveIntegerField(_("spend needed (tax incl.)"), default=0)
    earn_multiplier_percent = models.PositiveSmallIntegerField(
        _("points multiplier (%)"), default=100, help_text=_("150 means 1.5 times the usual points.")
    )
    free_shipping = models.BooleanField(_("free shipping"), default=False)
    description = models.CharField(_("benefits (shown to members)"), max_length=200, blank=True)

    class Meta:
        ordering = ("min_spend",)
        verbose_name = _("rank")
        verbose_name_plural = _("ranks")

    def __str__(self):
        return self.name


class PointAccount(models.Model):
    """Per member: the row every points operation locks first, the current rank, and any shortfall still owed.

    A shortfall arises when points already spent are reversed (a refund): the balance never goes below zero, the
    rest is recorded here and taken from the next points earned.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), related_name="point_account", on_delete=models.CASCADE
    )
    shortfall = models.PositiveIntegerField(_("points owed"), default=0)
    rank = models.ForeignKey(Rank, verbose_name=_("rank"), null=True, blank=True, on_delete=models.SET_NULL)
    rank_spend = models.PositiveIntegerField(_("spend counted for the rank"), default=0)
    rank_updated_at = models.DateTimeField(_("rank updated at"), null=True, blank=True)
    expiry_notice_sent_for = models.DateField(_("expiry notice sent for"), null=True, blank=True)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")

    def __str__(self):
        return str(self.user)


class PointEntry(models.Model):
    """One line of the ledger. Never updated or deleted; a correction is a new entry."""

    class Kind(models.TextChoices):
        ORDER = "order", _("Purchase")
        REVIEW = "review", _("Review")
        SHARE_REWARD = "share_reward", _("Share reward")
        SURVEY = "survey", _("Survey")
        ADJUSTMENT = "adjustment", _("Adjustment by staff")
        REDEMPTION = "redemption", _("Used for an order")
        REDEMPTION_RETURN = "redemption_return", _("Returned from an order")
        EXPIRY = "expiry", _("Expired")
        REVERSAL = "reversal", _("Reversed")
        SHORTFALL = "shortfall", _("Points owed taken")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), related_name="point_entries", on_delete=models.CASCADE
    )
    amount = models.IntegerField(_("points"))
    kind = models.CharField(_("reason"), max_length=20, choices=Kind.choices)
    source_key = models.CharField(_("source"), max_length=100, unique=True)
    order = models.ForeignKey(
        Order, verbose_name=_("order"), null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    # An earn entry is usable from available_at (after the return window) until expires_at.
    available_at = models.DateTimeField(_("usable from"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("points entry")
        verbose_name_plural = _("points ledger")
        indexes = [models.Index(fields=["user", "available_at"]), models.Index(fields=["expires_at"])]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="loyalty_entry_not_zero")]

    def __str__(self):
        return f"{self.user_id} {self.amount:+d} {self.kind}"


class RankChange(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), related_name="rank_changes", on_delete=models.CASCADE
    )
    old_rank = models.ForeignKey(
        Rank, verbose_name=_("from"), null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    new_rank = models.ForeignKey(
        Rank, verbose_name=_("to"), null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    spend = models.PositiveIntegerField(_("spend counted"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("rank change")
        verbose_name_plural = _("rank changes")

    def __str__(self):
        return f"{self.user_id}: {self.old_rank} → {self.new_rank}"
