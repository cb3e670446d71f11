"""Lifecycle messages: follow-ups after delivery, first-order anniversaries, event invitations."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .campaigns import Segment


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
