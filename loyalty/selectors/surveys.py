"""Reads for surveys: whether one is open, whether a member answered it, and the results staff see."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Avg, Count
from django.utils import timezone

from ..models import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse


def survey_is_open(*, survey: Survey, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    return survey.is_open and (survey.closes_at is None or survey.closes_at > now)


def survey_get_by_slug(*, slug: str) -> Survey | None:
    return Survey.objects.select_related("reward_coupon").filter(slug=slug).first()


def survey_answered(*, survey: Survey, user) -> bool:
    return SurveyResponse.objects.filter(survey=survey, user=user).exists()


@dataclass
class QuestionResult:
    question: SurveyQuestion
    answered: int = 0
    choices: list[tuple[str, int, float]] = field(default_factory=list)  # text, count, percent
    ratings: list[tuple[int, int]] = field(default_factory=list)  # 1..5, count
    average: float | None = None
    texts: list[str] = field(default_factory=list)


def survey_results(*, survey: Survey, text_limit: int = 200) -> tuple[int, list[QuestionResult]]:
    """The number of responses and, per question, counts per choice, the rating spread and average, and the
    latest free-text answers (at most text_limit per question)."""
    responses = survey.responses.count()
    results = []
    for question in survey.questions.prefetch_related("choices"):
        answers = SurveyAnswer.objects.filter(question=question)
        result = QuestionResult(question=question, answered=answers.count())
        if question.kind == SurveyQuestion.Kind.CHOICE:
            counts = dict(answers.values("choice").annotate(n=Count("pk")).values_list("choice", "n"))
            result.choices = [
                (
                    choice.text,
                    counts.get(choice.pk, 0),
                    round(counts.get(choice.pk, 0) * 100 / result.answered, 1) if result.answered else 0.0,
                )
                for choice in question.choices.all()
            ]
        elif question.kind == SurveyQuestion.Kind.RATING:
            counts = dict(answers.values("rating").annotate(n=Count("pk")).values_list("rating", "n"))
            result.ratings = [(value, counts.get(value, 0)) for value in range(1, 6)]
            average = answers.aggregate(average=Avg("rating"))["average"]
            result.average = round(average, 2) if average is not None else None
        else:
            result.texts = list(
                answers.exclude(text="").order_by("-response__created_at").values_list("text", flat=True)[:text_limit]
            )
        results.append(result)
    return responses, results
