"""Surveys: the page, one response per member, the reward once, invalid answers rejected with nothing written,
closed surveys, results for staff, and a campaign that links a survey."""

import datetime

import pytest
from django.utils import timezone

from loyalty.models import (
    Campaign,
    CampaignRecipient,
    Coupon,
    PointEntry,
    Segment,
    Survey,
    SurveyAnswer,
    SurveyChoice,
    SurveyQuestion,
    SurveyResponse,
)
from loyalty.selectors.surveys import survey_results
from loyalty.services.campaigns import campaign_schedule, campaign_send
from loyalty.services.surveys import SurveyAlreadyAnswered, SurveyError, survey_question_set_choices, survey_submit
from shop.accounts.privacy_services import consent_record
from shop.notifications.models import Notification

from .conftest import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://shop.example.jp"


@pytest.fixture
def survey(db):
    template = Coupon.objects.create(
        code="THANKS300", name="回答お礼300円引き", kind=Coupon.Kind.FIXED, value=300, is_active=False
    )
    survey = Survey.objects.create(
        title="お買い物アンケート",
        slug="shopping-2026",
        intro="1分で終わります。",
        reward_points=50,
        reward_coupon=template,
    )
    colour = SurveyQuestion.objects.create(survey=survey, position=1, kind="choice", text="好きな色は？")
    survey_question_set_choices(question=colour, texts=["ネイビー", "ベージュ", "ブラック"])
    SurveyQuestion.objects.create(survey=survey, position=2, kind="rating", text="満足度は？")
    SurveyQuestion.objects.create(survey=survey, position=3, kind="text", text="ご意見", required=False)
    return survey


@pytest.fixture
def shopper(db):
    return make_member(email="hanako@example.jp")


def form_data(survey, *, choice=None, rating="4", text="とても良かったです"):
    colour, satisfaction, comment = survey.questions.all()
    return {
        f"q{colour.pk}": str(choice if choice is not None else colour.choices.first().pk),
        f"q{satisfaction.pk}": rating,
        f"q{comment.pk}": text,
    }


def nothing_written(user) -> bool:
    return not (
        SurveyResponse.objects.exists()
        or SurveyAnswer.objects.exists()
        or PointEntry.objects.filter(user=user).exists()
        or Coupon.objects.filter(owner=user).exists()
    )


def test_the_page_needs_a_sign_in(client, survey):
    response = client.get(survey.get_absolute_url())
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_answering_once_gives_the_reward_once(client, survey, shopper):
    client.force_login(shopper)
    page = client.get(survey.get_absolute_url())
    assert page.status_code == 200 and "好きな色は？" in page.content.decode()

    done = client.post(survey.get_absolute_url(), form_data(survey))
    assert done.status_code == 200 and b"data-survey-thanks" in done.content
    response = SurveyResponse.objects.get(survey=survey, user=shopper)
    assert response.answers.count() == 3
    [entry] = PointEntry.objects.filter(user=shopper)
    assert (entry.amount, entry.kind, entry.source_key) == (
        50,
        PointEntry.Kind.SURVEY,
        f"survey:{survey.pk}:{shopper.pk}",
    )
    copy = Coupon.objects.get(owner=shopper, issue_key=f"survey:{survey.pk}")
    assert copy.template == survey.reward_coupon and copy.code in done.content.decode()

    again = client.get(survey.get_absolute_url())
    assert b"data-survey-already" in again.content
    resent = client.post(survey.get_absolute_url(), form_data(survey, rating="1"))
    assert b"data-survey-already" in resent.content
    assert SurveyResponse.objects.count() == 1
    assert PointEntry.objects.filter(user=shopper).count() == 1
    assert Coupon.objects.filter(owner=shopper).count() == 1


def test_a_second_submission_by_the_service_is_refused(survey, shopper):
    colour = survey.questions.first()
    answers = {colour.pk: colour.choices.first().pk, survey.questions.all()[1].pk: 5}
    survey_submit(survey=survey, user=shopper, answers=answers)
    with pytest.raises(SurveyAlreadyAnswered):
        survey_submit(survey=survey, user=shopper, answers=answers)
    assert PointEntry.objects.filter(user=shopper).count() == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"rating": "9"}, "Please choose one of the answers offered."),
        ({"rating": ""}, "Please answer this question."),
        ({"choice": 999999}, "Please choose one of the answers offered."),
        ({"text": "あ" * 2001}, "2000"),
    ],
)
def test_invalid_answers_are_rejected_with_a_message_and_nothing_is_written(client, survey, shopper, change, message):
    client.force_login(shopper)
    client.cookies["django_language"] = "en"
    response = client.post(survey.get_absolute_url(), form_data(survey, **change))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert nothing_written(shopper)


def test_errors_are_shown_in_japanese_by_default(client, survey, shopper):
    client.force_login(shopper)
    response = client.post(survey.get_absolute_url(), form_data(survey, choice=999999))
    assert response.status_code == 400 and response["Content-Language"] == "ja"
    assert nothing_written(shopper)


def test_the_service_checks_the_answers_again(survey, shopper):
    colour, satisfaction, _comment = survey.questions.all()
    other_choice = SurveyChoice.objects.create(
        question=SurveyQuestion.objects.create(survey=survey, kind="choice", text="別の質問", required=False),
        text="はい",
    )
    for answers in (
        {colour.pk: other_choice.pk, satisfaction.pk: 3},  # a choice of another question
        {colour.pk: colour.choices.first().pk, satisfaction.pk: 6},
        {colour.pk: "abc", satisfaction.pk: 3},
        {satisfaction.pk: 3},  # a required question left out
    ):
        with pytest.raises(SurveyError):
            survey_submit(survey=survey, user=shopper, answers=answers)
    assert nothing_written(shopper)


def test_a_closed_survey_takes_no_answers(client, survey, shopper):
    Survey.objects.filter(pk=survey.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    client.force_login(shopper)
    response = client.post(survey.get_absolute_url(), form_data(survey))
    assert b"data-survey-closed" in response.content
    assert nothing_written(shopper)
    assert client.get("/surveys/no-such-survey/").status_code == 404


def test_results_count_choices_average_ratings_and_list_texts(survey):
    colour, satisfaction, comment = survey.questions.all()
    navy, beige, _black = colour.choices.all()
    for index, (choice, rating, text) in enumerate([(navy, 5, "最高"), (navy, 4, ""), (beige, 2, "普通")]):
        user = make_member(email=f"r{index}@example.jp")
        survey_submit(
            survey=survey, user=user, answers={colour.pk: choice.pk, satisfaction.pk: rating, comment.pk: text}
        )

    responses, (colours, ratings, texts) = survey_results(survey=survey)
    assert responses == 3
    assert colours.choices == [("ネイビー", 2, 66.7), ("ベージュ", 1, 33.3), ("ブラック", 0, 0.0)]
    assert ratings.average == pytest.approx(3.67) and ratings.ratings[4] == (5, 1)
    assert sorted(texts.texts) == ["普通", "最高"]


def test_editing_choices_keeps_answered_ones(survey, shopper):
    colour, satisfaction, _comment = survey.questions.all()
    navy = colour.choices.get(text="ネイビー")
    survey_submit(survey=survey, user=shopper, answers={colour.pk: navy.pk, satisfaction.pk: 4})
    survey_question_set_choices(question=colour, texts=["ホワイト", "ベージュ"])
    assert list(colour.choices.values_list("text", flat=True)) == ["ホワイト", "ベージュ", "ネイビー"]


def test_a_campaign_can_link_a_survey(client, survey, shopper):
    shopper.age_band = "20s"
    shopper.save(update_fields=["age_band"])
    consent_record(user=shopper, purpose="marketing", granted=True, source="tests")
    consent_record(user=shopper, purpose="personalisation", granted=True, source="tests")
    campaign = Campaign.objects.create(
        name="アンケートのお願い",
        segment=Segment.objects.create(name="20代", age_bands=["20s"]),
        channel=Campaign.Channel.EMAIL,
        subject="アンケートにご協力ください",
        text="回答で50ポイント",
        survey=survey,
        test_sent_at=timezone.now(),
    )
    campaign_schedule(campaign=campaign)
    campaign_send(campaign_id=campaign.pk)
    message = Notification.objects.get(user=shopper)
    token = CampaignRecipient.objects.get(user=shopper).token
    assert f"https://shop.example.jp/m/{token}/?to=survey" in message.body_text
    assert "お買い物アンケート" in message.body_text

    client.force_login(shopper)
    response = client.get(f"/m/{token}/?to=survey")
    assert response["Location"] == survey.get_absolute_url()


def test_survey_admin_builds_questions_with_choices_and_shows_results(admin_client_verified, shopper):
    response = admin_client_verified.post(
        "/admin/loyalty/survey/add/",
        {
            "title": "新商品アンケート",
            "slug": "new-items",
            "intro": "",
            "is_open": "on",
            "reward_points": "30",
            "questions-TOTAL_FORMS": "2",
            "questions-INITIAL_FORMS": "0",
            "questions-0-position": "1",
            "questions-0-kind": "choice",
            "questions-0-text": "どれが好き？",
            "questions-0-choices_text": "シャツ\nスカート",
            "questions-0-required": "on",
            "questions-1-position": "2",
            "questions-1-kind": "rating",
            "questions-1-text": "価格は？",
            "questions-1-choices_text": "",
            "questions-1-required": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    survey = Survey.objects.get(slug="new-items")
    choice_question, rating_question = survey.questions.all()
    assert list(choice_question.choices.values_list("text", flat=True)) == ["シャツ", "スカート"]
    survey_submit(
        survey=survey,
        user=shopper,
        answers={choice_question.pk: choice_question.choices.first().pk, rating_question.pk: 4},
    )

    results = admin_client_verified.get(f"/admin/loyalty/survey/{survey.pk}/results/")
    assert results.status_code == 200
    assert 'data-survey-responses="1"' in results.content.decode() and "シャツ" in results.content.decode()
    assert admin_client_verified.get(f"/admin/loyalty/survey/{survey.pk}/change/").status_code == 200
