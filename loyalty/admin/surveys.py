"""Surveys in admin: questions (with their choices as lines of text) and a results page."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import Survey, SurveyQuestion
from ..selectors.surveys import survey_results
from ..services.surveys import survey_question_set_choices


class QuestionForm(forms.ModelForm):
    choices_text = forms.CharField(
        label=_("choices (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 30}),
        help_text=_('Only for "choose one" questions.'),
    )

    class Meta:
        model = SurveyQuestion
        fields = ("position", "kind", "text", "required")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["choices_text"].initial = "\n".join(choice.text for choice in self.instance.choices.all())

    def choice_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("choices_text", "").splitlines() if line.strip()]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == SurveyQuestion.Kind.CHOICE and len(self.choice_lines()) < 2:
            self.add_error("choices_text", _('A "choose one" question needs at least two choices.'))
        return cleaned


class QuestionInline(admin.TabularInline):
    model = SurveyQuestion
    form = QuestionForm
    extra = 1
    fields = ("position", "kind", "text", "choices_text", "required")


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "is_open", "closes_at", "reward_points", "reward_coupon", "responses")
    list_filter = ("is_open",)
    search_fields = ("title", "slug")
    prepopulated_fields = {"slug": ("title",)}
    raw_id_fields = ("reward_coupon",)
    readonly_fields = ("results_link",)
    inlines = (QuestionInline,)
    fields = ("title", "slug", "intro", "is_open", "closes_at", "reward_points", "reward_coupon", "results_link")

    def get_urls(self):
        return [
            path(
                "<path:object_id>/results/",
                self.admin_site.admin_view(self.results_view),
                name="loyalty_survey_results",
            ),
            *super().get_urls(),
        ]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for question_form in formset.forms:
            question = question_form.instance
            if question.pk is None or question_form in formset.deleted_forms or not question_form.has_changed():
                continue
            lines = question_form.choice_lines() if question.kind == SurveyQuestion.Kind.CHOICE else []
            survey_question_set_choices(question=question, texts=lines)

    @admin.display(description=_("responses"))
    def responses(self, obj):
        return obj.responses.count()

    @admin.display(description=_("results"))
    def results_link(self, obj):
        if obj is None or obj.pk is None:
            return "–"
        url = reverse("admin:loyalty_survey_results", args=[obj.pk])
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            url,
            _("See the results"),
            obj.get_absolute_url(),
            _("Open the survey page"),
        )

    def results_view(self, request, object_id):
        survey = get_object_or_404(Survey, pk=object_id)
        if not self.has_view_permission(request, survey):
            raise PermissionDenied
        responses, results = survey_results(survey=survey)
        return TemplateResponse(
            request,
            "loyalty/surveys/admin_results.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": survey,
                "title": _("Results: %(survey)s") % {"survey": survey},
                "survey": survey,
                "responses": responses,
                "results": results,
            },
        )
