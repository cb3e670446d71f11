import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    LINE = "line", "LINE"


class Notification(models.Model):
    """One message to one recipient on one channel: the outbox row and, once sent, its delivery log entry.

    Written in the same transaction as its cause; a worker claims and sends it, the sweeper picks up anything left.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        HELD = "held", _("Held (quiet hours)")
        SKIPPED = "skipped", _("Skipped")
        CANCELLED = "cancelled", _("Cancelled")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        related_name="notifications",
        on_delete=models.SET_NULL,
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=50, db_index=True)
    is_marketing = models.BooleanField(_("marketing"), default=False)
    # The caller's key plus the channel: a second enqueue of the same message writes nothing.
    dedupe_key = models.CharField(_("dedupe key"), max_length=220, unique=True)
    # The caller's key, shared by the channels of one message (the weekly cap counts messages, not channels).
    batch_key = models.CharField(_("message key"), max_length=200, db_index=True)
    recipient = models.CharField(_("recipient"), max_length=254, blank=True)
    language = models.CharField(_("language"), max_length=8, default="ja")
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    line_messages = models.JSONField(_("LINE messages"), default=list, blank=True)
    unsubscribe_url = models.CharField(_("unsubscribe link"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # Quiet hours: a marketing message is held until this time.
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    # When a worker took the row to send it; a row stuck in "sending" long after this is retried by the sweeper.
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    last_error_type = models.CharField(_("error type"), max_length=100, blank=True)
    last_error_message = models.TextField(_("error message"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # Not auto_now_add: services pass their `now` so the weekly cap can be computed (and tested) at any time.
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    # Sent as X-Line-Retry-Key: LINE accepts a retried push with the same key only once.
    retry_key = models.UUIDField(_("retry key"), default=uuid.uuid4, editable=False)
    source = models.CharField(_("source"), max_length=100, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("notification")
        verbose_name_plural = _("notifications (delivery log)")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notif_status_due"),
            models.Index(fields=["user", "is_marketing", "created_at"], name="notif_user_marketing"),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient} ({self.channel})"


class Preference(models.Model):
    """A user's choice for one kind group on one channel. No row means the default (see kinds.py)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        related_name="notification_preferences",
        on_delete=models.CASCADE,
    )
    group = models.CharField(_("kind of message"), max_length=20)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    enabled = models.BooleanField(_("enabled"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "group", "channel"], name="notif_preference_unique"),
        ]

    def __str__(self):
        return f"{self.user}: {self.group}/{self.channel} {'✓' if self.enabled else '✗'}"


class LineLink(models.Model):
    """The LINE user id of the official account's friend who is this shop user."""

    class Source(models.TextChoices):
        CODE = "code", _("Link code sent to the official account")
        LOGIN = "login", _("LINE Login")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), related_name="line_link", on_delete=models.CASCADE
    )
    line_user_id = models.CharField(_("LINE user id"), max_length=64, unique=True)
    source = models.CharField(_("linked by"), max_length=10, choices=Source.choices, default=Source.CODE)
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)

    class Meta:
        verbose_name = _("LINE link")
        verbose_name_plural = _("LINE links")

    def __str__(self):
        return f"{self.user} ↔ {self.line_user_id}"


class LineLinkCode(models.Model):
    """A one-time code the user sends to the official account to link it; short-lived."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), related_name="line_link_codes", on_delete=models.CASCADE
    )
    code = models.CharField(_("code"), max_length=6, db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("LINE link code")
        verbose_name_plural = _("LINE link codes")

    def __str__(self):
        return f"{self.user}: {self.code}"


class Unsubscribe(models.Model):
    """A recorded opt-out (from a message's unsubscribe link), with the reason the user gave, if any."""

    class Reason(models.TextChoices):
        TOO_MANY = "too_many", _("Too many messages")
        NOT_RELEVANT = "not_relevant", _("Not interested in the content")
        NEVER_ASKED = "never_asked", _("I did not ask for these messages")
        OTHER_CHANNEL = "other_channel", _("I prefer another channel")
        OTHER = "other", _("Other")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), related_name="unsubscribes", on_delete=models.CASCADE
    )
    group = models.CharField(_("kind of message"), max_length=20)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("unsubscribe")
        verbose_name_plural = _("unsubscribes")

    def __str__(self):
        return f"{self.user}: {self.group}/{self.channel}"


class NotificationSettings(models.Model):
    """One row of delivery rules staff set in admin."""

    quiet_start = models.TimeField(_("quiet hours start (JST)"), default=datetime.time(21, 0))
    quiet_end = models.TimeField(_("quiet hours end (JST)"), default=datetime.time(9, 0))
    marketing_cap_per_week = models.PositiveSmallIntegerField(
        _("marketing messages per user per 7 days"),
        default=2,
        help_text=_("A campaign may set a lower cap for its segment."),
    )
    max_attempts = models.PositiveSmallIntegerField(_("delivery attempts before giving up"), default=6)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self):
        return str(_("Notification settings"))

    @classmethod
    def load(cls) -> "NotificationSettings":
        return cls.objects.get_or_create(pk=1)[0]
