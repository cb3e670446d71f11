from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from ..models import SurveyQuestion
from ..selectors.surveys import survey_answered, survey_get_by_slug, survey_is_open
from ..services.surveys import SurveyAlreadyAnswered, SurveyError, survey_submit

RATINGS = [(value, str(value)) for value in range(1, 6)]


class SurveyForm(forms.Form):
    """One field per question, built from the survey; the service checks the answers again before writing."""

    def __init__(self, *args, survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = []
        errors = {
            "required": _("Please answer this question."),
            "invalid_choice": _("Please choose one of the answers offered."),
        }
        for question in survey.questions.prefetch_related("choices"):
            name = f"q{question.pk}"
            common = {"label": question.text, "required": question.required, "error_messages": errors}
            if question.kind == SurveyQuestion.Kind.CHOICE:
                field = forms.TypedChoiceField(
                    choices=[(choice.pk, choice.text) for choice in question.choices.all()],
                    coerce=int,
                    widget=forms.RadioSelect,
                    **common,
                )
            elif question.kind == SurveyQuestion.Kind.RATING:
                field = forms.TypedChoiceField(
                    choices=RATINGS, coerce=int, widget=forms.RadioSelect(attrs={"class": "rating"}), **common
                )
            else:
                field = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 4}), **common)
            self.fields[name] = field
            self.questions.append((question, name))

    def answers(self) -> dict[int, object]:
        return {question.pk: self.cleaned_data.get(name) for question, name in self.questions}


@login_required
def survey_detail(request, slug: str):
    survey = survey_get_by_slug(slug=slug)
    if survey is None:
        raise Http404
    if survey_answered(survey=survey, user=request.user):
        return render(request, "loyalty/surveys/done.html", {"survey": survey, "already": True})
    if not survey_is_open(survey=survey):
        return render(request, "loyalty/surveys/closed.html", {"survey": survey})
    form = SurveyForm(request.POST or None, survey=survey)
    if request.method == "POST" and form.is_valid():
        try:
            reward = survey_submit(survey=survey, user=request.user, answers=form.answers())
        except SurveyAlreadyAnswered:
            return render(request, "loyalty/surveys/done.html", {"survey": survey, "already": True})
        except SurveyError as error:
            form.add_error(None, str(error))
        else:
            return render(request, "loyalty/surveys/done.html", {"survey": survey, "reward": reward})
    status = 400 if request.method == "POST" else 200
    return render(request, "loyalty/surveys/detail.html", {"survey": survey, "form": form}, status=status)
