"""Surveys members answer for points or a coupon."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .coupons import Coupon


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
