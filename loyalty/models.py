"""Points (an append-only ledger), member ranks and coupons.

The balance is never stored: it is the sum of the ledger. Each entry has a unique key naming the event it came
from ("order:42:earn"), so the same event can never award (or take) twice, however often a task runs.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
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


class Survey(models.Model):
    title = models.CharField(_("title"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    intro = models.TextField(_("introduction"), blank=True)
    is_open = models.BooleanField(_("open for answers"), default=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    reward_points = models.PositiveIntegerField(_("points for answering"), default=0)
    reward_coupon = models.ForeignKey(
        Coupon,
        verbose_name=_("coupon for answering"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
        help_text=_("A personal copy of this coupon is given to each member who answers."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("campaigns:survey", kwargs={"slug": self.slug})


class SurveyQuestion(models.Model):
    class Kind(models.TextChoices):
        CHOICE = "choice", _("Choose one")
        RATING = "rating", _("Rating 1-5")
        TEXT = "text", _("Free text")

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), related_name="questions", on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.CHOICE)
    text = models.CharField(_("question"), max_length=300)
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        ordering = ("position", "id")
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self):
        return self.text


class SurveyChoice(models.Model):
    question = models.ForeignKey(
        SurveyQuestion, verbose_name=_("question"), related_name="choices", on_delete=models.CASCADE
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text = models.CharField(_("choice"), max_length=200)

    class Meta:
        ordering = ("position", "id")
        verbose_name = _("choice")
        verbose_name_plural = _("choices")

    def __str__(self):
        return self.text


class SurveyResponse(models.Model):
    survey = models.ForeignKey(Survey, verbose_name=_("survey"), related_name="responses", on_delete=models.CASCADE)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), related_name="survey_responses", on_delete=models.CASCADE
    )
    created_at = models.DateTimeField(_("answered at"), auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [models.UniqueConstraint(fields=["survey", "user"], name="loyalty_survey_one_response")]

    def __str__(self):
        return f"{self.survey} – {self.user_id}"


class SurveyAnswer(models.Model):
    response = models.ForeignKey(
        SurveyResponse, verbose_name=_("response"), related_name="answers", on_delete=models.CASCADE
    )
    question = models.ForeignKey(
        SurveyQuestion, verbose_name=_("question"), related_name="answers", on_delete=models.CASCADE
    )
    choice = models.ForeignKey(
        SurveyChoice, verbose_name=_("choice"), null=True, blank=True, related_name="answers", on_delete=models.CASCADE
    )
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="loyalty_survey_one_answer"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="loyalty_survey_rating_range"
            ),
        ]

    def __str__(self):
        return f"{self.question_id}: {self.choice_id or self.rating or self.text[:30]}"


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


class LifecycleSettings(models.Model):
    """One row: which lifecycle messages go out and when (loyalty.services.lifecycle)."""

    follow_up_enabled = models.BooleanField(_("send a follow-up after delivery"), default=True)
    follow_up_days = models.PositiveSmallIntegerField(
        _("follow-up this many days after delivery"),
        default=3,
        help_text=_("Asks whether the items are to the member's liking, with links to the order and a review."),
    )
    # Turning the follow-up on (or a worker stopped for days) must not send it for every order of the past.
    follow_up_max_late_days = models.PositiveSmallIntegerField(_("skip follow-ups later than (days)"), default=14)
    anniversary_enabled = models.BooleanField(_("send a first-order anniversary message"), default=True)
    anniversary_max_late_days = models.PositiveSmallIntegerField(
        _("skip anniversary messages later than (days)"), default=30
    )

    class Meta:
        verbose_name = _("lifecycle message settings")
        verbose_name_plural = _("lifecycle message settings")

    def __str__(self):
        return str(_("Lifecycle message settings"))

    @classmethod
    def load(cls) -> "LifecycleSettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class EventInvitation(models.Model):
    """An invitation to a shop event (a pop-up store, a live sale, a styling session) sent to members as marketing:
    only to those who agreed to marketing messages, within the weekly cap, never in quiet hours."""

    class Audience(models.TextChoices):
        ALL = "all", _("All members")
        SEGMENT = "segment", _("A segment")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Sent")

    title = models.CharField(_("title"), max_length=150)
    body = models.TextField(_("text"))
    event_at = models.DateTimeField(_("event date and time"))
    link = models.CharField(
        _("link"), max_length=300, blank=True, help_text=_("A page of the shop (/p/…) or a full https:// address.")
    )
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices, default=Audience.ALL)
    segment = models.ForeignKey(
        Segment,
        verbose_name=_("segment"),
        null=True,
        blank=True,
        related_name="event_invitations",
        on_delete=models.PROTECT,
    )
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    sent_at = models.DateTimeField(_("finished sending at"), null=True, blank=True)
    recipients = models.PositiveIntegerField(_("messages written"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ("-event_at",)
        verbose_name = _("event invitation")
        verbose_name_plural = _("event invitations")
        constraints = [
            models.CheckConstraint(
                condition=~Q(audience="segment") | Q(segment__isnull=False), name="loyalty_invitation_segment_set"
            ),
        ]

    def __str__(self):
        return self.title
