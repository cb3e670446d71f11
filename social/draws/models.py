"""Prize draws (F30): a prize, an entry rule, one entry per member, winners drawn from a recorded seed."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Draw(models.Model):
    class Rule(models.TextChoices):
        APPLY = "apply", _("Apply on the page")
        PURCHASE = "purchase", _("A paid order during the draw")
        REVIEW = "review", _("A published review during the draw")
        FOLLOW = "follow", _("Following the shop")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        DRAWN = "drawn", _("Winners drawn")

    title = models.CharField(_("title"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=100, unique=True, allow_unicode=False)
    prize = models.TextField(_("prize"), help_text=_("What winners get, as shown on the page."))
    image = models.ImageField(_("image"), upload_to="draws/%Y/%m/", blank=True)
    description = models.TextField(_("description"), blank=True)
    rule = models.CharField(_("entry rule"), max_length=10, choices=Rule.choices, default=Rule.APPLY)
    products = models.ManyToManyField(
        "catalog.Product",
        verbose_name=_("qualifying products"),
        blank=True,
        related_name="+",
        help_text=_("For the purchase rule: an order must include one of these. None: any order counts."),
    )
    starts_at = models.DateTimeField(_("entries open"))
    ends_at = models.DateTimeField(_("entries close"))
    winners_count = models.PositiveSmallIntegerField(_("number of winners"), default=1)
    odds_text = models.CharField(
        _("odds (shown on the page)"),
        max_length=200,
        blank=True,
        help_text=_("E.g. 抽選で3名様. The page also explains that every entry has the same chance."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    # A decimal string (random.Random accepts any int; 64 bits do not fit a signed bigint). Staff may fix it
    # before the draw (e.g. announced in advance); otherwise a random one is stored just before drawing.
    seed = models.CharField(_("random seed"), max_length=40, blank=True)
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drawn by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ("-starts_at",)
        verbose_name = _("prize draw")
        verbose_name_plural = _("prize draws")
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="draws_period_valid"),
            models.CheckConstraint(condition=models.Q(winners_count__gte=1), name="draws_at_least_one_winner"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("draws:detail", kwargs={"slug": self.slug})


class DrawEntry(models.Model):
    draw = models.ForeignKey(Draw, verbose_name=_("draw"), related_name="entries", on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), related_name="draw_entries", on_delete=models.CASCADE
    )
    created_at = models.DateTimeField(_("entered at"), default=timezone.now)

    class Meta:
        ordering = ("id",)
        verbose_name = _("draw entry")
        verbose_name_plural = _("draw entries")
        constraints = [models.UniqueConstraint(fields=["draw", "user"], name="draws_one_entry_per_member")]

    def __str__(self):
        return f"{self.draw_id}: {self.user_id}"


class DrawWinner(models.Model):
    draw = models.ForeignKey(Draw, verbose_name=_("draw"), related_name="winners", on_delete=models.CASCADE)
    entry = models.OneToOneField(DrawEntry, verbose_name=_("entry"), related_name="win", on_delete=models.PROTECT)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), related_name="draw_wins", on_delete=models.CASCADE
    )
    position = models.PositiveSmallIntegerField(_("position"))
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)

    class Meta:
        ordering = ("draw", "position")
        verbose_name = _("draw winner")
        verbose_name_plural = _("draw winners")
        constraints = [
            models.UniqueConstraint(fields=["draw", "user"], name="draws_nobody_wins_twice"),
            models.UniqueConstraint(fields=["draw", "position"], name="draws_winner_position_once"),
        ]

    def __str__(self):
        return f"{self.draw_id} #{self.position}: {self.user_id}"


class DrawAudit(models.Model):
    """What a draw was made from, so anyone with the entries can repeat it: random.Random(seed).sample over the
    entry ids in id order. One per draw: a second draw of the same prize is refused."""

    draw = models.OneToOneField(Draw, verbose_name=_("draw"), related_name="audit", on_delete=models.CASCADE)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("drawn by"), null=True, related_name="+", on_delete=models.SET_NULL
    )
    drawn_at = models.DateTimeField(_("drawn at"))
    seed = models.CharField(_("random seed"), max_length=40)
    entry_count = models.PositiveIntegerField(_("entries"))
    entry_ids_hash = models.CharField(_("SHA-256 of the entry ids"), max_length=64)
    winner_entry_ids = models.JSONField(_("winning entry ids, in order"), default=list)
    method = models.CharField(_("method"), max_length=200)

    class Meta:
        verbose_name = _("draw audit record")
        verbose_name_plural = _("draw audit records")

    def __str__(self):
        return f"{self.draw} ({self.drawn_at:%Y-%m-%d %H:%M})"
