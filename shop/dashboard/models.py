"""The dashboard's own records: the campaign and event calendar (F52) and data-leak incidents (F62).

The report pages (sales, social, marketing, customers) have no table: each is an unmanaged model so that it gets
a row in the admin index and the admin's two-step protection; its ModelAdmin draws the page (shop.dashboard.admin).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Report(models.Model):
    """A page of the dashboard. No table: `managed = False` and never queried."""

    class Meta:
        abstract = True
        managed = False
        default_permissions = ()


class SalesReport(Report):  # noqa: DJ008 - never instantiated
    class Meta(Report.Meta):
        managed = False
        default_permissions = ()
        verbose_name = _("sales")
        verbose_name_plural = _("sales")
        permissions = [
            ("view_analytics", _("Can see the dashboard's aggregate figures")),
            ("view_customer_data", _("Can see customer-level dashboard pages and export orders and customers")),
            ("export_reports", _("Can export products and campaign results")),
        ]


class SocialReport(Report):  # noqa: DJ008 - never instantiated
    class Meta(Report.Meta):
        managed = False
        default_permissions = ()
        verbose_name = _("social reach")
        verbose_name_plural = _("social reach")


class MarketingReport(Report):  # noqa: DJ008 - never instantiated
    class Meta(Report.Meta):
        managed = False
        default_permissions = ()
        verbose_name = _("marketing")
        verbose_name_plural = _("marketing")


class CustomerReport(Report):  # noqa: DJ008 - never instantiated
    class Meta(Report.Meta):
        managed = False
        default_permissions = ()
        verbose_name = _("top customers")
        verbose_name_plural = _("top customers")


class CalendarEvent(models.Model):
    class Kind(models.TextChoices):
        SEASON = "season", _("Seasonal event")
        SALE = "sale", _("Sale")
        SHOP = "shop", _("Shop event")

    title = models.CharField(_("title"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SHOP)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    notes = models.TextField(_("notes"), blank=True)
    campaign = models.ForeignKey(
        "loyalty.Campaign",
        verbose_name=_("message campaign"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    share_campaign = models.ForeignKey(
        "share_rewards.ShareCampaign",
        verbose_name=_("share campaign"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    # Set on the rows the data migration pre-fills, so running it again (or for another year) adds no twins.
    preset_key = models.CharField(_("preset"), max_length=40, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ("starts_on", "title")
        verbose_name = _("calendar event")
        verbose_name_plural = _("calendar events")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="dashboard_event_ends_after"),
            models.UniqueConstraint(fields=["preset_key"], condition=~Q(preset_key=""), name="dashboard_event_preset"),
        ]

    def __str__(self):
        return f"{self.starts_on:%Y-%m-%d} {self.title}"


class Incident(models.Model):
    """A personal-data leak (or suspected one) and the six response steps of the PPC's guidance, as a checklist."""

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        CRITICAL = "critical", _("Critical")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONTAINED = "contained", _("Contained")
        CLOSED = "closed", _("Closed")

    # (field prefix, label): each step has <prefix>_done_at, <prefix>_done_by and <prefix>_note.
    STEPS = (
        ("discovery", _("1. Discovery and escalation (発見・報告)")),
        ("containment", _("2. Containment (初動対応)")),
        ("investigation", _("3. Investigation (調査)")),
        ("notification", _("4. Notify the affected and the Personal Information Protection Commission (通知・報告)")),
        ("prevention", _("5. Recovery and prevention (抑制・再発防止)")),
        ("review", _("6. Review (事後対応)")),
    )

    title = models.CharField(_("title"), max_length=200)
    discovered_at = models.DateTimeField(_("discovered at"))
    description = models.TextField(_("what happened"), blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    affected_customers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("affected customers"), blank=True, related_name="+"
    )
    customer_notice = models.TextField(
        _("notice to the affected customers"),
        blank=True,
        help_text=_("What happened, which data, what the shop is doing and where to ask. Sent as written."),
    )
    ppc_reported_at = models.DateTimeField(_("reported to the PPC at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    discovery_done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    discovery_done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    discovery_note = models.TextField(_("note"), blank=True)
    containment_done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    containment_done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    containment_note = models.TextField(_("note"), blank=True)
    investigation_done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    investigation_done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    investigation_note = models.TextField(_("note"), blank=True)
    notification_done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    notification_done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    notification_note = models.TextField(_("note"), blank=True)
    prevention_done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    prevention_done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    prevention_note = models.TextField(_("note"), blank=True)
    review_done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    review_done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    review_note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ("-discovered_at",)
        verbose_name = _("data-leak incident")
        verbose_name_plural = _("data-leak incidents")

    def __str__(self):
        return self.title

    @property
    def steps_done(self) -> int:
        return sum(1 for prefix, _label in self.STEPS if getattr(self, f"{prefix}_done_at"))


class IncidentNotice(models.Model):
    """One notice about an incident sent to one affected customer: to whom, on which channel, when."""

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), related_name="notices", on_delete=models.CASCADE)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("customer"), null=True, related_name="+", on_delete=models.SET_NULL
    )
    channel = models.CharField(_("channel"), max_length=10)
    recipient = models.CharField(_("sent to"), max_length=254, blank=True)
    status = models.CharField(_("status"), max_length=10)
    notification_id = models.PositiveBigIntegerField(_("outbox message"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, related_name="+", on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("incident notice")
        verbose_name_plural = _("incident notices")
        constraints = [
            models.UniqueConstraint(fields=["incident", "customer", "channel"], name="dashboard_notice_once"),
        ]

    def __str__(self):
        return f"{self.incident_id} → {self.customer_id} ({self.channel})"
