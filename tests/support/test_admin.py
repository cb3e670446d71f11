"""Staff side: the inquiry list (status, overdue flag, held spam), the history and the reply box on the change
page, reply templates, complaints, the FAQ and the other moderation queues the spam filter feeds."""

import datetime
import re

import pytest
from django.utils import timezone

from shop.core.models import SpamRule
from shop.reviews.models import Review
from shop.reviews.services import review_save
from shop.support import services
from shop.support.models import Complaint, FaqEntry, Inquiry, ReplyTemplate
from social import services as social_services
from social.models import Comment, Post
from tests.factories import OrderFactory, VariantFactory

from .conftest import make_member

pytestmark = pytest.mark.django_db


def inquiry_of(user=None, **extra) -> Inquiry:
    data = {"name": "山田 花子", "email": "hanako@example.jp", "subject": "返品したい", "body": "サイズ違いでした"}
    return services.inquiry_create(**{**data, "user": user, **extra})


def change_form_data(inquiry: Inquiry, **fields) -> dict:
    count = inquiry.messages.count()
    data = {
        "status": inquiry.status,
        "category": inquiry.category,
        "assignee": "",
        "reply_template": "",
        "reply": "",
        "messages-TOTAL_FORMS": str(count),
        "messages-INITIAL_FORMS": str(count),
        "messages-MIN_NUM_FORMS": "0",
        "messages-MAX_NUM_FORMS": "1000",
    }
    for index, message in enumerate(inquiry.messages.all()):
        data[f"messages-{index}-id"] = str(message.pk)
        data[f"messages-{index}-inquiry"] = str(inquiry.pk)
    return {**data, **fields}


def test_list_shows_status_and_flags_overdue_unanswered_inquiries(admin_client_verified, member):
    late = inquiry_of(member, now=timezone.now() - datetime.timedelta(hours=30))
    fresh = inquiry_of(member, subject="新しい質問")
    page = admin_client_verified.get("/admin/support/inquiry/")
    html = page.content.decode()
    assert page.status_code == 200
    rows = {number: re.search(rf"{number}.*?</tr>", html, re.S).group(0) for number in (late.number, fresh.number)}
    assert "data-overdue" in rows[late.number] and "data-overdue" not in rows[fresh.number]
    overdue_only = admin_client_verified.get("/admin/support/inquiry/", {"overdue": "yes"}).content.decode()
    assert late.number in overdue_only and fresh.number not in overdue_only


def test_held_spam_is_listed_with_its_reasons_and_can_be_released(
    admin_client_verified, mailoutbox, django_capture_on_commit_callbacks
):
    held = inquiry_of(body="副業で稼げる案件です", email="bot@example.net")
    assert held.status == Inquiry.Status.SPAM_HELD
    listing = admin_client_verified.get("/admin/support/inquiry/", {"status__exact": "spam_held"})
    assert held.number in listing.content.decode()
    change = admin_client_verified.get(f"/admin/support/inquiry/{held.pk}/change/").content.decode()
    assert "副業" in change
    with django_capture_on_commit_callbacks(execute=True):
        admin_client_verified.post(
            "/admin/support/inquiry/", {"action": "release_from_spam_hold", "_selected_action": [held.pk]}
        )
    held.refresh_from_db()
    assert held.status == Inquiry.Status.NEW and len(mailoutbox) == 1


def test_staff_reply_from_the_change_page_reaches_the_customer(
    admin_client_verified, member, mailoutbox, django_capture_on_commit_callbacks
):
    inquiry = inquiry_of(member)
    mailoutbox.clear()
    page = admin_client_verified.get(f"/admin/support/inquiry/{inquiry.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200 and 'name="reply"' in html and "サイズ違いでした" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_verified.post(
            f"/admin/support/inquiry/{inquiry.pk}/change/",
            change_form_data(inquiry, reply="返品を承ります。着払いでお送りください。", _continue="1"),
        )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.WAITING_CUSTOMER and inquiry.first_reply_at is not None
    assert inquiry.assignee == admin_client_verified.user
    staff_message = inquiry.messages.get(from_staff=True)
    assert staff_message.author == admin_client_verified.user
    [mail] = mailoutbox
    assert mail.to == ["hanako@example.jp"] and "着払いでお送りください。" in mail.body
    # Opening the page again records the delivery time and shows the delivery in the history.
    html = admin_client_verified.get(f"/admin/support/inquiry/{inquiry.pk}/change/").content.decode()
    staff_message.refresh_from_db()
    assert staff_message.delivered_at is not None
    assert 'data-from="staff"' in html


def test_reply_from_a_template(admin_client_verified, member, mailoutbox, django_capture_on_commit_callbacks):
    order = OrderFactory(user=member)
    inquiry = inquiry_of(member, order=order)
    template = ReplyTemplate.objects.create(title="発送済み", body="{name} 様、ご注文 {order_number} は発送済みです。")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client_verified.post(
            f"/admin/support/inquiry/{inquiry.pk}/change/",
            change_form_data(inquiry, reply_template=str(template.pk)),
        )
    body = inquiry.messages.get(from_staff=True).body
    assert body == f"山田 花子 様、ご注文 {order.number} は発送済みです。"
    assert body in mailoutbox[0].body


def test_saving_without_a_reply_only_changes_the_fields(admin_client_verified, member, staff):
    inquiry = inquiry_of(member)
    admin_client_verified.post(
        f"/admin/support/inquiry/{inquiry.pk}/change/",
        change_form_data(inquiry, assignee=str(staff.pk), category="returns", status="open"),
    )
    inquiry.refresh_from_db()
    assert inquiry.assignee == staff and inquiry.status == "open" and inquiry.messages.count() == 1


def test_too_long_admin_reply_is_a_form_error(admin_client_verified, member):
    inquiry = inquiry_of(member)
    response = admin_client_verified.post(
        f"/admin/support/inquiry/{inquiry.pk}/change/", change_form_data(inquiry, reply="あ" * 4001)
    )
    assert response.status_code == 200 and inquiry.messages.count() == 1


def test_complaint_admin_records_the_five_fields(admin_client_verified, member):
    inquiry = inquiry_of(member)
    assert admin_client_verified.get("/admin/support/complaint/add/").status_code == 200
    response = admin_client_verified.post(
        "/admin/support/complaint/add/",
        {
            "status": "fixed",
            "owner": str(admin_client_verified.user.pk),
            "inquiry": str(inquiry.pk),
            "order": "",
            "content": "商品が破損して届いた",
            "cause": "梱包材の不足",
            "fix": "交換品を発送",
            "prevention": "割れ物は二重梱包にする",
            "reported_back": "お詫びと再発防止策をお伝えした",
        },
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.prevention == "割れ物は二重梱包にする" and complaint.reported_back_at is not None
    assert admin_client_verified.get("/admin/support/complaint/").status_code == 200


@pytest.mark.parametrize(
    "url", ["/admin/support/replytemplate/", "/admin/support/faqentry/", "/admin/support/faqcategory/"]
)
def test_other_support_admin_pages_open(admin_client_verified, url):
    assert admin_client_verified.get(url).status_code == 200


def test_faq_entry_admin_edit(admin_client_verified):
    entry = FaqEntry.objects.filter(question__contains="送料").first()
    page = admin_client_verified.get(f"/admin/support/faqentry/{entry.pk}/change/")
    assert page.status_code == 200


def test_spam_filter_holds_comments_in_the_moderation_queue(admin_client_verified):
    SpamRule.objects.create(kind="keyword", pattern="今すぐ登録")
    author = make_member(email="poster@example.jp")
    commenter = make_member(email="commenter@example.jp")
    post = social_services.post_create(author=author, body="新作のシャツ")
    if post.status != Post.Status.PUBLISHED:
        Post.objects.filter(pk=post.pk).update(status=Post.Status.PUBLISHED)
    comment = social_services.comment_add(user=commenter, post_id=post.pk, body="今すぐ登録で無料！")
    assert comment.status == Comment.Status.HELD and "今すぐ登録" in comment.held_reason
    fine = social_services.comment_add(user=commenter, post_id=post.pk, body="素敵ですね")
    assert fine.status == Comment.Status.PUBLISHED
    queue = admin_client_verified.get("/admin/social/comment/", {"queue": "review"}).content.decode()
    assert "今すぐ登録で無料！" in queue and "素敵ですね" not in queue
    held_page = admin_client_verified.get(f"/admin/social/comment/{comment.pk}/change/").content.decode()
    assert "今すぐ登録" in held_page


def test_spam_filter_keeps_even_a_verified_buyers_review_pending_for_staff(monkeypatch, admin_client_verified):
    monkeypatch.setattr("shop.reviews.selectors.user_bought_product", lambda **kwargs: True)
    SpamRule.objects.create(kind="content", threshold=1)
    user = make_member(email="reviewer@example.jp")
    product, other_product = VariantFactory().product, VariantFactory().product
    clean = review_save(user=user, product=other_product, rating=4, title="良い", body="着心地が良いです")
    assert clean.status == Review.Status.PUBLISHED
    review = review_save(
        user=user, product=product, rating=5, title="最高", body="https://a.example と https://b.example を見て"
    )
    assert review.status == Review.Status.PENDING and review.verified_purchase
    pending = admin_client_verified.get("/admin/reviews/review/", {"status__exact": "pending"}).content.decode()
    assert "最高" in pending and "良い" not in pending
