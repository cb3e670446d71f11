"""The contact form (guests and members, from an order page), the account's inquiry pages and the FAQ."""

import pytest
from django.utils import translation
from django.utils.translation import gettext

from shop.support import services
from shop.support.models import FaqCategory, FaqEntry, Inquiry, InquiryMessage
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

FORM = {
    "name": "山田 花子",
    "email": "hanako@example.jp",
    "category": "shipping",
    "subject": "配送日の指定",
    "body": "土曜日に届くようにできますか？",
}


def test_guest_sends_an_inquiry(client, mailoutbox, django_capture_on_commit_callbacks):
    assert client.get("/contact/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/contact/", FORM, REMOTE_ADDR="192.0.2.10")
    assert response.status_code == 302 and response["Location"] == "/contact/sent/"
    inquiry = Inquiry.objects.get()
    assert inquiry.user is None and inquiry.channel == Inquiry.Channel.WEB and inquiry.order is None
    assert inquiry.category == "shipping" and inquiry.email == "hanako@example.jp"
    page = client.get("/contact/sent/")
    assert f"data-inquiry-number>{inquiry.number}<" in page.content.decode()
    assert "data-inquiry-link" not in page.content.decode()
    assert len(mailoutbox) == 1


def test_member_form_is_prefilled_and_the_inquiry_is_theirs(client, member):
    client.force_login(member)
    page = client.get("/contact/")
    assert page.context["form"].initial["email"] == "hanako@example.jp"
    assert page.context["form"].initial["name"] == "山田 花子"
    client.post("/contact/", {**FORM, "email": "other-address@example.jp"})
    inquiry = Inquiry.objects.get()
    assert inquiry.user == member and inquiry.email == "other-address@example.jp"
    assert "data-inquiry-link" in client.get("/contact/sent/").content.decode()


def test_inquiry_from_own_order_page_is_about_that_order(client, member):
    order = OrderFactory(user=member)
    client.force_login(member)
    detail = client.get(f"/orders/{order.number}/").content.decode()
    assert f'href="/contact/?order={order.number}"' in detail
    page = client.get(f"/contact/?order={order.number}")
    assert f'data-inquiry-order="{order.number}"' in page.content.decode()
    assert page.context["form"].initial["category"] == "order"
    client.post(f"/contact/?order={order.number}", FORM)
    inquiry = Inquiry.objects.get()
    assert inquiry.order == order and inquiry.channel == Inquiry.Channel.ORDER


def test_guest_order_placed_in_this_browser_counts(client):
    order = OrderFactory(email="guest@example.jp")
    session = client.session
    session["orders"] = [order.number]
    session.save()
    client.post(f"/contact/?order={order.number}", FORM)
    assert Inquiry.objects.get().order == order


def test_someone_elses_order_parameter_is_ignored(client, member, other_member):
    order = OrderFactory(user=other_member)
    client.force_login(member)
    page = client.get(f"/contact/?order={order.number}")
    assert "data-inquiry-order" not in page.content.decode()
    client.post(f"/contact/?order={order.number}", FORM)
    inquiry = Inquiry.objects.get()
    assert inquiry.order is None and inquiry.channel == Inquiry.Channel.WEB
    # A guest guessing a number gets nothing either.
    client.logout()
    client.post(f"/contact/?order={order.number}", {**FORM, "subject": "別件"})
    assert Inquiry.objects.filter(order__isnull=False).count() == 0


@pytest.mark.parametrize(
    ("changes", "field", "msgid"),
    [
        ({"body": ""}, "body", "Please write your message."),
        ({"body": "あ" * 4001}, "body", "Please keep your message within %(limit_value)d characters."),
        ({"email": "not-an-address"}, "email", "Please enter a valid e-mail address."),
        ({"subject": ""}, "subject", "Please enter a subject."),
        ({"name": ""}, "name", "Please enter your name."),
    ],
)
def test_bad_input_shows_the_error_on_the_page_and_writes_nothing(client, changes, field, msgid):
    with translation.override("ja"):
        response = client.post("/contact/", {**FORM, **changes}, HTTP_ACCEPT_LANGUAGE="ja")
        expected = gettext(msgid)
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert errors[0].startswith(expected.split("%")[0])
    assert 'role="alert"' in response.content.decode()
    assert Inquiry.objects.count() == 0 and InquiryMessage.objects.count() == 0


def test_spam_sender_sees_the_same_thank_you_page(client):
    response = client.post("/contact/", {**FORM, "body": "副業で稼げる！"})
    assert response.status_code == 302 and response["Location"] == "/contact/sent/"
    assert Inquiry.objects.get().status == Inquiry.Status.SPAM_HELD


def inquiry_of(user, **extra) -> Inquiry:
    return services.inquiry_create(
        name="山田 花子", email=user.email, subject="返品したい", body="サイズが合いませんでした", user=user, **extra
    )


def test_account_pages_show_the_whole_history_and_take_a_reply(client, member, staff):
    inquiry = inquiry_of(member)
    services.inquiry_reply(inquiry_id=inquiry.pk, staff=staff, body="返品を承ります。")
    client.force_login(member)
    listing = client.get("/account/inquiries/")
    assert listing.status_code == 200 and listing.context["account_section"] == "inquiries"
    assert f'data-inquiry="{inquiry.number}"' in listing.content.decode()
    page = client.get(f"/account/inquiries/{inquiry.number}/")
    html = page.content.decode()
    assert page.context["account_section"] == "inquiries"
    assert html.count("data-message ") == 2 and 'data-from="staff"' in html and "返品を承ります。" in html
    response = client.post(f"/account/inquiries/{inquiry.number}/", {"body": "ありがとうございます。返送しました。"})
    assert response.status_code == 302
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.OPEN and inquiry.messages.count() == 3


def test_empty_or_too_long_customer_reply_is_refused(client, member):
    inquiry = inquiry_of(member)
    client.force_login(member)
    for body in ("", "あ" * 4001):
        response = client.post(f"/account/inquiries/{inquiry.number}/", {"body": body})
        assert response.status_code == 200 and response.context["form"].errors["body"]
    assert inquiry.messages.count() == 1


def test_nobody_else_can_open_an_inquiry(client, member, other_member):
    inquiry = inquiry_of(member)
    url = f"/account/inquiries/{inquiry.number}/"
    guest = client.get(url)
    assert guest.status_code == 302 and "/accounts/login/" in guest["Location"]
    assert client.post(url, {"body": "のぞき見"}).status_code == 302
    client.force_login(other_member)
    assert client.get(url).status_code == 404
    assert client.post(url, {"body": "のぞき見"}).status_code == 404
    assert inquiry.number not in client.get("/account/inquiries/").content.decode()
    assert inquiry.messages.count() == 1


def test_held_inquiry_looks_received_to_its_sender(client, member):
    inquiry = inquiry_of(member, category="other")
    Inquiry.objects.filter(pk=inquiry.pk).update(status=Inquiry.Status.SPAM_HELD)
    client.force_login(member)
    html = client.get(f"/account/inquiries/{inquiry.number}/").content.decode()
    assert 'data-inquiry-status="new"' in html and "spam" not in html.lower()


@pytest.fixture
def faq(db):
    category = FaqCategory.objects.create(name="お支払い", slug="pay-test", position=99)
    return {
        "paypay": FaqEntry.objects.create(
            category=category, question="PayPayは使えますか？", answer="現在は使えません。"
        ),
        "hidden": FaqEntry.objects.create(
            category=category, question="下書きの質問", answer="PayPay 準備中", is_published=False
        ),
    }


def entries(response) -> list[str]:
    return [entry.question for entry in response.context["page"].entries]


def test_faq_lists_the_published_default_entries(client, faq):
    page = client.get("/faq/")
    assert page.status_code == 200
    questions = entries(page)
    assert any("送料" in q for q in questions) and any("返品" in q for q in questions)
    assert "下書きの質問" not in questions


@pytest.mark.parametrize("query", ["送料", "ＰａｙＰａｙ", "paypay", "  pay   使え "])
def test_faq_search_folds_width_and_case(client, faq, query):
    found = entries(client.get("/faq/", {"q": query}))
    assert found, query
    if "pay" in query.lower() or "Ｐａｙ" in query:
        assert found == ["PayPayは使えますか？"]


def test_faq_search_covers_answers_categories_and_no_results(client, faq):
    assert any("支払い方法" in q or "使えますか" in q for q in entries(client.get("/faq/", {"q": "代金引換"})))
    in_category = entries(client.get("/faq/", {"category": "pay-test"}))
    assert in_category == ["PayPayは使えますか？"]
    empty = client.get("/faq/", {"q": "存在しない質問ワード"})
    assert entries(empty) == [] and 'data-faq-results="0"' in empty.content.decode()
    assert client.get("/faq/", {"q": "あ" * 500}).status_code == 200
