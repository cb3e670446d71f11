"""Writes for surveys: a member's one response, with the reward (points and/or a coupon) in the same transaction."""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..exceptions import LoyaltyError
from ..models import Coupon, PointEntry, Survey, SurveyAnswer, SurveyChoice, SurveyQuestion, SurveyResponse
from ..selectors.surveys import survey_is_open
from .coupons import coupon_issue_personal
from .points import points_award


class SurveyError(LoyaltyError):
    """The survey cannot take this answer; the message is for the member, in their language."""


class SurveyAlreadyAnswered(SurveyError):
    pass


@dataclass(frozen=True)
class SurveyReward:
    response: SurveyResponse
    points: int
    coupon: Coupon | None


def survey_reward_keys(*, survey: Survey, user) -> tuple[str, str]:
    """The points ledger's source key and the coupon's issue key: one reward per member and survey, ever."""
    return f"survey:{survey.pk}:{user.pk}", f"survey:{survey.pk}"


def _answer(question: SurveyQuestion, value, choice_ids: set[int]) -> SurveyAnswer | None:
    """An unsaved answer from a cleaned value (choice id, rating or text), or None when left empty."""
    if value in (None, ""):
        if question.required:
            raise SurveyError(_("Please answer every required question."))
        return None
    Kind = SurveyQuestion.Kind
    if question.kind in (Kind.CHOICE, Kind.RATING):
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise SurveyError(_("Please choose one of the answers offered."))
    if question.kind == Kind.CHOICE:
        if value not in choice_ids:
            raise SurveyError(_("Please choose one of the answers offered."))
        return SurveyAnswer(question=question, choice_id=value)
    if question.kind == Kind.RATING:
        if not 1 <= value <= 5:
            raise SurveyError(_("Please give a rating from 1 to 5."))
        return SurveyAnswer(question=question, rating=value)
    return SurveyAnswer(question=question, text=str(value).strip()[:5000])


def survey_submit(
    *, survey: Survey, user, answers: dict[int, object], now: datetime.datetime | None = None
) -> SurveyReward:
    """Records the member's answers (question id -> choice id, rating 1-5 or text) and gives the reward.

    Everything is checked before anything is written; any error writes nothing. A second response by the same
    member raises SurveyAlreadyAnswered (a unique constraint decides when two arrive at once)."""
    now = now or timezone.now()
    if not survey_is_open(survey=survey, now=now):
        raise SurveyError(_("This survey is closed."))
    questions = list(survey.questions.prefetch_related("choices"))
    unsaved = []
    for question in questions:
        answer = _answer(question, answers.get(question.pk), {choice.pk for choice in question.choices.all()})
        if answer is not None:
            unsaved.append(answer)
    points_key, coupon_key = survey_reward_keys(survey=survey, user=user)
    with transaction.atomic():
        try:
            with transaction.atomic():
                response = SurveyResponse.objects.create(survey=survey, user=user)
        except IntegrityError:
            raise SurveyAlreadyAnswered(_("You have already answered this survey. Thank you!"))
        for answer in unsaved:
            answer.response = response
        SurveyAnswer.objects.bulk_create(unsaved)
        points = 0
        if survey.reward_points:
            entry = points_award(
                user=user,
                amount=survey.reward_points,
                kind=PointEntry.Kind.SURVEY,
                source_key=points_key,
                note=survey.title,
                now=now,
            )
            points = entry.amount if entry is not None else 0
        coupon = None
        if survey.reward_coupon_id:
            coupon = coupon_issue_personal(template=survey.reward_coupon, user=user, issue_key=coupon_key)
    return SurveyReward(response=response, points=points, coupon=coupon)


def survey_question_set_choices(*, question: SurveyQuestion, texts: list[str]) -> None:
    """Staff edit a question's choices as lines of text. A choice keeps its row (and its answers) while its text
    stays; a removed choice that was already answered is kept after the others so results stay complete."""
    texts = [text.strip() for text in texts if text.strip()]
    with transaction.atomic():
        existing = {choice.text: choice for choice in question.choices.all()}
        for position, text in enumerate(texts):
            choice = existing.pop(text, None)
            if choice is None:
                SurveyChoice.objects.create(question=question, text=text[:200], position=position)
            elif choice.position != position:
                choice.position = position
                choice.save(update_fields=["position"])
        for offset, choice in enumerate(existing.values(), start=len(texts)):
            if choice.answers.exists():
                choice.position = offset
                choice.save(update_fields=["position"])
            else:
                choice.delete()
