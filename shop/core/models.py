from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class SpamRule(TimeStampedModel):
    """One inbound spam rule staff manage in admin; shop.core.spam applies the active ones.

    A matching submission is held for staff (each app keeps it with a "held" status and the reasons), never dropped.
    """

    class Kind(models.TextChoices):
        KEYWORD = "keyword", _("Keyword (the text contains it)")
        SENDER = "sender", _("Sender (e-mail address, domain or IP address)")
        FREQUENCY = "frequency", _("Frequency (more than N submissions per hour)")
        CONTENT = "content", _("Content (regular expression, or more than N links)")

    class AppliesTo(models.TextChoices):
        ALL = "all", _("Everything")
        INQUIRY = "inquiry", _("Inquiries")
        COMMENT = "comment", _("Comments")
        REVIEW = "review", _("Reviews")

    kind = models.CharField(_("kind of rule"), max_length=10, choices=Kind.choices)
    applies_to = models.CharField(_("applies to"), max_length=10, choices=AppliesTo.choices, default=AppliesTo.ALL)
    pattern = models.CharField(
        _("pattern"),
        max_length=500,
        blank=True,
        help_text=_(
            "Keyword: a word or phrase (width and case are ignored). Sender: an e-mail address, a domain such as "
            "example.com, or an IP address. Content: a regular expression (may be empty when a link limit is set)."
        ),
    )
    threshold = models.PositiveIntegerField(
        _("limit (N)"),
        null=True,
        blank=True,
        help_text=_("Frequency: more than N submissions per hour are held. Content: more than N links are held."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ("kind", "pattern", "id")
        verbose_name = _("spam rule")
        verbose_name_plural = _("spam rules")

    def __str__(self):
        if self.kind == self.Kind.FREQUENCY:
            return f"{self.get_kind_display()}: > {self.threshold}"
        return f"{self.get_kind_display()}: {self.pattern or f'> {self.threshold}'}"

    def clean(self):
        import re

        from django.core.exceptions import ValidationError

        self.pattern = self.pattern.strip()
        if self.kind in (self.Kind.KEYWORD, self.Kind.SENDER) and not self.pattern:
            raise ValidationError({"pattern": _("Enter the word or the sender this rule looks for.")})
        if self.kind == self.Kind.FREQUENCY and self.threshold is None:
            raise ValidationError({"threshold": _("Enter how many submissions per hour are allowed.")})
        if self.kind == self.Kind.CONTENT:
            if not self.pattern and self.threshold is None:
                raise ValidationError(_("Enter a regular expression, a link limit, or both."))
            if self.pattern:
                try:
                    re.compile(self.pattern)
                except re.error as error:
                    raise ValidationError({"pattern": _("This is not a valid regular expression: %s") % error})
