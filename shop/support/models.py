from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shop.core.models import TimeStampedModel
from shop.orders.models import Order

# The shop promises a first answer within a day (shown per inquiry; overdue ones stand out in admin).
REPLY_TARGET = timedelta(hours=24)
MESSAGE_MAX_LENGTH = 4000


class Inquiry(models.Model):
    """A customer's question or problem and, through its messages, the whole conversation with staff."""

    class Channel(models.TextChoices):
        WEB = "web", _("Contact form")
        ORDER = "order", _("Order page")
        LINE = "line", "LINE"
        EMAIL = "email", _("E-mail")

    class Category(models.TextChoices):
        ORDER = "order", _("Orders and payment")
        PRODUCT = "product", _("Products")
        SHIPPING = "shipping", _("Shipping")
        RETURNS = "returns", _("Returns and exchanges")
        ACCOUNT = "account", _("Account and points")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("In progress")
        WAITING_CUSTOMER = "waiting_customer", _("Waiting for the customer")
        CLOSED = "closed", _("Closed")
        SPAM_HELD = "spam_held", _("Held by the spam filter")

    number = models.CharField(_("inquiry number"), max_length=20, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        related_name="inquiries",
        on_delete=models.SET_NULL,
    )
    name = models.CharField(_("name"), max_length=100)
    email = models.EmailField(_("email"), blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices, default=Category.OTHER)
    order = models.ForeignKey(
        Order, verbose_name=_("order"), null=True, blank=True, related_name="inquiries", on_delete=models.SET_NULL
    )
    subject = models.CharField(_("subject"), max_length=150)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        related_name="assigned_inquiries",
        limit_choices_to={"is_staff": True},
        on_delete=models.SET_NULL,
    )
    language = models.CharField(_("language"), max_length=8, default="ja")
    line_user_id = models.CharField(_("LINE user id"), max_length=64, blank=True, db_index=True)
    spam_reasons = models.JSONField(_("spam filter reasons"), default=list, blank=True)
    created_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    first_reply_at = models.DateTimeField(_("first reply at"), null=True, blank=True)
    reply_due_at = models.DateTimeField(_("reply due"), db_index=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")

    def __str__(self):
        return f"{self.number} {self.subject}"

    def save(self, *args, **kwargs):
        if self.reply_due_at is None:
            self.reply_due_at = self.created_at + REPLY_TARGET
        super().save(*args, **kwargs)

    def is_overdue(self, *, now=None) -> bool:
        """The shop owes an answer (new, or the customer wrote again) past the 24-hour target."""
        return self.status in AWAITING_SHOP and (now or timezone.now()) > self.reply_due_at

    def customer_status_code(self) -> str:
        """The status as the customer sees it: an inquiry the spam filter held looks like any received one."""
        return self.Status.NEW if self.status == self.Status.SPAM_HELD else self.status

    def customer_status(self) -> str:
        return CUSTOMER_STATUS[self.customer_status_code()]


# Statuses in which the next move is the shop's (the reply target applies).
AWAITING_SHOP = (Inquiry.Status.NEW, Inquiry.Status.OPEN)
CUSTOMER_STATUS = {
    Inquiry.Status.NEW: _("Received"),
    Inquiry.Status.OPEN: _("In progress"),
    Inquiry.Status.WAITING_CUSTOMER: _("Answered"),
    Inquiry.Status.CLOSED: _("Closed"),
}


class InquiryMessage(models.Model):
    """One message of an inquiry's history, from the customer or from staff (delivered to the customer)."""

    inquiry = models.ForeignKey(Inquiry, verbose_name=_("inquiry"), related_name="messages", on_delete=models.CASCADE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    from_staff = models.BooleanField(_("from staff"), default=False)
    body = models.TextField(_("message"), max_length=MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(_("written at"), default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # Where the copy sent to the customer can be traced: the notification (delivery log) id.
    delivery_ref = models.CharField(_("delivery reference"), max_length=100, blank=True)
    # Where an incoming message came from (a LINE webhook event id): a redelivered event adds nothing.
    source_ref = models.CharField(_("source reference"), max_length=100, blank=True, editable=False)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("inquiry message")
        verbose_name_plural = _("inquiry messages")
        constraints = [
            models.UniqueConstraint(
                fields=["source_ref"], condition=~models.Q(source_ref=""), name="support_message_source_unique"
            )
        ]

    def __str__(self):
        return self.body[:40]


class ReplyTemplate(TimeStampedModel):
    """A canned answer staff start a reply from; {name} and {order_number} are filled in for the inquiry."""

    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(
        _("text"), help_text=_("{name} becomes the customer's name and {order_number} the order number.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ("position", "title")
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")

    def __str__(self):
        return self.title


class Complaint(TimeStampedModel):
    """A complaint record: what happened, why, what was done, how it is prevented and what the customer was told."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        INVESTIGATING = "investigating", _("Investigating")
        FIXED = "fixed", _("Fixed")
        CLOSED = "closed", _("Closed (reported back)")

    inquiry = models.ForeignKey(
        Inquiry, verbose_name=_("inquiry"), null=True, blank=True, related_name="complaints", on_delete=models.SET_NULL
    )
    order = models.ForeignKey(
        Order, verbose_name=_("order"), null=True, blank=True, related_name="complaints", on_delete=models.SET_NULL
    )
    content = models.TextField(_("content of the complaint"))
    cause = models.TextField(_("cause"), blank=True)
    fix = models.TextField(_("fix"), blank=True)
    prevention = models.TextField(_("prevention"), blank=True)
    reported_back = models.TextField(_("report back to the customer"), blank=True)
    reported_back_at = models.DateTimeField(_("reported back at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=15, choices=Status.choices, default=Status.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"is_staff": True},
        on_delete=models.SET_NULL,
    )

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")

    def __str__(self):
        return self.content[:40]


class FaqCategory(models.Model):
    name = models.CharField(_("name"), max_length=50)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ("position", "id")
        verbose_name = _("FAQ category")
        verbose_name_plural = _("FAQ categories")

    def __str__(self):
        return self.name


class FaqEntry(TimeStampedModel):
    category = models.ForeignKey(
        FaqCategory, verbose_name=_("category"), related_name="entries", on_delete=models.PROTECT
    )
    question = models.CharField(_("question"), max_length=200)
    answer = models.TextField(_("answer"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_published = models.BooleanField(_("published"), default=True)

    class Meta:
        ordering = ("category__position", "position", "id")
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")

    def __str__(self):
        return self.question
