"""Segments of members, marketing campaigns to them (with A/B variants and tracked links) and banned words."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .coupons import Coupon
from .points import Rank
from .surveys import Survey


class Segment(models.Model):
    """A group of members staff target with a campaign. Every condition set must hold (they combine with AND);
    an empty condition is ignored. loyalty.selectors.campaigns.segment_users turns it into one query."""

    name = models.CharField(_("name"), max_length=100)
    bought_product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("bought this product"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    bought_category = models.ForeignKey(
        "catalog.Category",
        verbose_name=_("bought in this category"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
        help_text=_("Subcategories count too."),
    )
    bought_within_days = models.PositiveIntegerField(
        _("bought within (days)"),
        null=True,
        blank=True,
        help_text=_("With a product or category: bought it within this many days. Alone: bought anything."),
    )
    min_spend = models.PositiveIntegerField(_("spent at least (yen, tax incl.)"), null=True, blank=True)
    spend_within_days = models.PositiveIntegerField(
        _("spend counted over (days)"), null=True, blank=True, help_text=_("Empty: since the first order.")
    )
    no_order_days = models.PositiveIntegerField(
        _("no order for (days)"),
        null=True,
        blank=True,
        help_text=_("Lapsed buyers: bought before, but nothing within this many days."),
    )
    abandoned_cart_hours = models.PositiveIntegerField(
        _("abandoned cart (hours)"),
        null=True,
        blank=True,
        help_text=_("Has items in the cart added at least this many hours ago and no order since."),
    )
    ranks = models.ManyToManyField(
        Rank, verbose_name=_("rank is one of"), blank=True, related_name="+", help_text=_("Empty: any rank.")
    )
    line_linked = models.BooleanField(
        _("LINE-linked"), null=True, blank=True, help_text=_("Unknown: either; Yes: only linked; No: only not linked.")
    )
    age_bands = models.JSONField(
        _("age bands"),
        default=list,
        blank=True,
        help_text=_("Only members who consented to personalisation are matched by age band or gender."),
    )
    genders = models.JSONField(_("genders"), default=list, blank=True)
    cap_per_week = models.PositiveSmallIntegerField(
        _("marketing messages per member per 7 days"),
        null=True,
        blank=True,
        help_text=_("Empty: the shop's cap from the notification settings."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self):
        return self.name


class BannedWord(models.Model):
    """A word outgoing campaigns must not contain (obscene, illegal, discriminatory, misleading claims)."""

    word = models.CharField(_("word or phrase"), max_length=100, unique=True)
    note = models.CharField(_("why"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ("word",)
        verbose_name = _("banned word")
        verbose_name_plural = _("banned words")

    def __str__(self):
        return self.word


class Campaign(models.Model):
    """A message to a segment by e-mail and/or LINE: tested on staff first, then scheduled and sent once."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        LINE = "line", "LINE"
        BOTH = "both", _("E-mail and LINE")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        BLOCKED = "blocked", _("Blocked")

    name = models.CharField(_("name"), max_length=100, help_text=_("For staff; members do not see it."))
    segment = models.ForeignKey(Segment, verbose_name=_("segment"), related_name="campaigns", on_delete=models.PROTECT)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.BOTH)
    subject = models.CharField(_("subject"), max_length=150)
    text = models.TextField(_("text"))
    image = models.ImageField(_("image"), upload_to="campaigns/%Y/%m/", blank=True)
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
        help_text=_("The message's button opens this product's page."),
    )
    link_path = models.CharField(
        _("link (page of this shop)"),
        max_length=200,
        blank=True,
        help_text=_("Without a product: a page of this shop such as /features/summer/."),
    )
    coupon = models.ForeignKey(
        Coupon,
        verbose_name=_("coupon"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
        help_text=_("Each recipient gets a personal copy of this coupon."),
    )
    survey = models.ForeignKey(
        Survey,
        verbose_name=_("survey"),
        null=True,
        blank=True,
        related_name="campaigns",
        on_delete=models.SET_NULL,
        help_text=_("The message includes a link to this survey."),
    )
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    blocked_reason = models.CharField(_("why it was blocked"), max_length=300, blank=True)
    test_sent_at = models.DateTimeField(_("test sent at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("finished sending at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self):
        return self.name


class CampaignVariant(models.Model):
    """An A/B variant: recipients are split by weight; an empty subject or text uses the campaign's."""

    class Label(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), related_name="variants", on_delete=models.CASCADE
    )
    label = models.CharField(_("variant"), max_length=1, choices=Label.choices)
    subject = models.CharField(_("subject"), max_length=150, blank=True)
    text = models.TextField(_("text"), blank=True)
    weight = models.PositiveSmallIntegerField(_("share of recipients (%)"), default=50)

    class Meta:
        ordering = ("label",)
        verbose_name = _("variant")
        verbose_name_plural = _("variants (A/B test)")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "label"], name="loyalty_campaign_variant_label"),
            models.CheckConstraint(condition=Q(weight__gte=1, weight__lte=100), name="loyalty_variant_weight_range"),
        ]

    def __str__(self):
        return f"{self.campaign} {self.label}"


class CampaignRecipient(models.Model):
    """One member a campaign went to: their variant, their message, their tracked-link token and first click."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), related_name="recipients", on_delete=models.CASCADE
    )
    variant = models.ForeignKey(
        CampaignVariant,
        verbose_name=_("variant"),
        null=True,
        blank=True,
        related_name="recipients",
        on_delete=models.SET_NULL,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), related_name="campaign_messages", on_delete=models.CASCADE
    )
    # The outbox message key (Notification.batch_key) shared by the e-mail and LINE rows of this message.
    message_key = models.CharField(_("message key"), max_length=200)
    notification = models.ForeignKey(
        "notifications.Notification",
        verbose_name=_("notification"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    token = models.CharField(_("link token"), max_length=32, unique=True)
    clicked_at = models.DateTimeField(_("first click"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ("id",)
        verbose_name = _("campaign recipient")
        verbose_name_plural = _("campaign recipients")
        constraints = [models.UniqueConstraint(fields=["campaign", "user"], name="loyalty_campaign_recipient_once")]

    def __str__(self):
        return f"{self.campaign_id} → {self.user_id}"


class CampaignClick(models.Model):
    recipient = models.ForeignKey(
        CampaignRecipient, verbose_name=_("recipient"), related_name="clicks", on_delete=models.CASCADE
    )
    url = models.CharField(_("opened"), max_length=500)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("campaign click")
        verbose_name_plural = _("campaign clicks")

    def __str__(self):
        return f"{self.recipient_id} {self.url}"
