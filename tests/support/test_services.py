"""Inquiries: create (with the spam filter), staff replies delivered on the customer's channel, customer replies,
LINE messages, the 24-hour target, releasing held inquiries and complaint records."""

import datetime

import pytest
from django.utils import timezone

from shop.core.models import SpamRule
from shop.notifications.models import LineLink, Notification
from shop.support import selectors, services
from shop.support.exceptions import SupportError
from shop.support.models import Complaint, Inquiry, InquiryMessage, ReplyTemplate
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def create(**overrides) -> Inquiry:
    data = {
        "name": "山田 花子",
        "email": "hanako@example.jp",
        "subject": "サイズ交換について",
        "body": "Mサイズを注文しましたがLに交換できますか？",
        "category": Inquiry.Category.RETURNS,
    }
    return services.inquiry_create(**{**data, **overrides})


def test_inquiry_is_created_with_its_first_message_and_acknowledged_by_email(
    member, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        inquiry = create(user=member, ip="192.0.2.1")
    assert inquiry.status == Inquiry.Status.NEW
    assert inquiry.number.startswith("Q") and inquiry.channel == Inquiry.Channel.WEB
    assert inquiry.reply_due_at == inquiry.created_at + datetime.timedelta(hours=24)
    assert inquiry.spam_reasons == []
    [message] = inquiry.messages.all()
    assert not message.from_staff and message.author == member and "Lに交換" in message.body
    [mail] = mailoutbox
    assert mail.to == ["hanako@example.jp"]
    assert inquiry.number in mail.subject
    assert f"/account/inquiries/{inquiry.number}/" in mail.body


def test_guest_inquiry_about_an_order(mailoutbox, django_capture_on_commit_callbacks):
    order = OrderFactory(email="guest@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        inquiry = create(email="guest@example.jp", order=order, channel=Inquiry.Channel.ORDER)
    assert inquiry.user is None and inquiry.order == order
    [mail] = mailoutbox
    assert mail.to == ["guest@example.jp"] and order.number in mail.body
    assert "/account/inquiries/" not in mail.body


def test_spam_is_held_with_its_reasons_never_dropped_and_not_acknowledged(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        inquiry = create(subject="簡単に稼げる副業のご案内", body="在宅で月100万円", email="bot@spam.example")
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.SPAM_HELD
    assert any("副業" in reason for reason in inquiry.spam_reasons)
    assert inquiry.messages.count() == 1
    assert mailoutbox == []
    assert not inquiry.is_overdue(now=inquiry.created_at + datetime.timedelta(days=3))


def test_the_sixth_inquiry_in_an_hour_from_one_sender_is_held_by_the_default_rule():
    statuses = [create(email="flood@example.jp", subject=f"質問{i}").status for i in range(6)]
    assert statuses == [Inquiry.Status.NEW] * 5 + [Inquiry.Status.SPAM_HELD]
    held = Inquiry.objects.get(status=Inquiry.Status.SPAM_HELD)
    assert "6" in held.spam_reasons[0]
    assert Inquiry.objects.filter(email="flood@example.jp").count() == 6


def test_releasing_a_held_inquiry_queues_it_and_sends_the_acknowledgement(
    mailoutbox, django_capture_on_commit_callbacks
):
    SpamRule.objects.create(kind="sender", pattern="suspicious.example")
    inquiry = create(email="real.person@suspicious.example")
    assert inquiry.status == Inquiry.Status.SPAM_HELD
    later = inquiry.created_at + datetime.timedelta(hours=30)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.inquiry_release(inquiry_ids=[inquiry.pk], now=later) == 1
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.NEW and inquiry.reply_due_at == later + datetime.timedelta(hours=24)
    assert inquiry.spam_reasons  # the filter's verdict stays on record
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("body", ""), ("body", "   "), ("body", "あ" * 4001), ("subject", ""), ("subject", "件" * 151), ("email", "")],
)
def test_bad_input_writes_nothing(field, value, mailoutbox):
    with pytest.raises(SupportError):
        create(**{field: value})
    assert Inquiry.objects.count() == 0 and InquiryMessage.objects.count() == 0
    assert Notification.objects.count() == 0


def test_staff_reply_is_recorded_and_emailed_to_the_customer(
    member, staff, mailoutbox, django_capture_on_commit_callbacks
):
    inquiry = create(user=member)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        message = services.inquiry_reply(
            inquiry_id=inquiry.pk, staff=staff, body="交換を承ります。\n返送先をご案内します。"
        )
    inquiry.refresh_from_db()
    assert message.from_staff and message.author == staff
    assert inquiry.status == Inquiry.Status.WAITING_CUSTOMER
    assert inquiry.first_reply_at == message.created_at
    assert inquiry.assignee == staff
    [mail] = mailoutbox
    assert mail.to == ["hanako@example.jp"]
    assert "返送先をご案内します。" in mail.body and inquiry.number in mail.subject
    [notification] = Notification.objects.filter(kind="inquiry_reply")
    assert message.delivery_ref == str(notification.pk) and notification.status == Notification.Status.SENT
    assert services.inquiry_deliveries_record(inquiry_id=inquiry.pk) == 1
    message.refresh_from_db()
    assert message.delivered_at == notification.sent_at
    # A second reply keeps the first reply time.
    first = inquiry.first_reply_at
    services.inquiry_reply(inquiry_id=inquiry.pk, staff=staff, body="追伸です。")
    inquiry.refresh_from_db()
    assert inquiry.first_reply_at == first


def test_reply_body_is_required(member, staff):
    inquiry = create(user=member)
    with pytest.raises(SupportError):
        services.inquiry_reply(inquiry_id=inquiry.pk, staff=staff, body="  ")
    assert inquiry.messages.count() == 1


def test_customer_reply_reopens_the_inquiry_and_restarts_the_reply_target(member, other_member, staff):
    inquiry = create(user=member)
    services.inquiry_reply(inquiry_id=inquiry.pk, staff=staff, body="ご注文番号を教えてください。")
    later = timezone.now() + datetime.timedelta(hours=2)
    services.inquiry_customer_reply(number=inquiry.number, user=member, body="T123です。", now=later)
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.OPEN
    assert inquiry.reply_due_at == later + datetime.timedelta(hours=24)
    assert [m.from_staff for m in inquiry.messages.all()] == [False, True, False]
    with pytest.raises(SupportError):
        services.inquiry_customer_reply(number=inquiry.number, user=other_member, body="横から失礼")
    with pytest.raises(SupportError):
        services.inquiry_customer_reply(number=inquiry.number, user=member, body="")
    assert inquiry.messages.count() == 3


def test_overdue_when_unanswered_past_24_hours(member, staff):
    inquiry = create(user=member)
    assert not inquiry.is_overdue(now=inquiry.created_at + datetime.timedelta(hours=23))
    assert inquiry.is_overdue(now=inquiry.created_at + datetime.timedelta(hours=25))
    services.inquiry_reply(inquiry_id=inquiry.pk, staff=staff, body="回答です。")
    inquiry.refresh_from_db()
    assert not inquiry.is_overdue(now=inquiry.created_at + datetime.timedelta(hours=25))


def test_line_message_opens_an_inquiry_and_the_reply_is_pushed_on_line(
    member, staff, line_stub, mailoutbox, django_capture_on_commit_callbacks
):
    LineLink.objects.create(user=member, line_user_id="U" + "a" * 32)
    with django_capture_on_commit_callbacks(execute=True):
        inquiry = services.inquiry_from_line(line_user_id="U" + "a" * 32, text="注文した靴が届きません", user=member)
    assert inquiry.channel == Inquiry.Channel.LINE and inquiry.user == member
    assert inquiry.subject == "注文した靴が届きません"
    # The acknowledgement went back on LINE, not by e-mail.
    assert len(line_stub.requests) == 1 and mailoutbox == []
    # A second message continues the same inquiry.
    services.inquiry_from_line(line_user_id="U" + "a" * 32, text="追跡番号も知りたいです", user=member)
    assert Inquiry.objects.count() == 1 and inquiry.messages.count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        services.inquiry_reply(inquiry_id=inquiry.pk, staff=staff, body="本日発送いたしました。")
    assert len(line_stub.requests) == 2 and mailoutbox == []
    push = line_stub.requests[-1]
    assert push["path"] == "/v2/bot/message/push"
    assert push["headers"]["Authorization"] == "Bearer test-line-token"
    assert push["headers"]["X-Line-Retry-Key"]
    assert push["json"]["to"] == "U" + "a" * 32
    assert "本日発送いたしました。" in push["json"]["messages"][0]["text"]
    assert inquiry.number in push["json"]["messages"][0]["text"]


def test_line_message_from_an_unlinked_sender_is_kept_and_answered_in_admin_only(staff, line_stub):
    inquiry = services.inquiry_from_line(line_user_id="U" + "b" * 32, text="営業時間は？")
    assert inquiry.user is None and inquiry.line_user_id == "U" + "b" * 32
    message = services.inquiry_reply(inquiry_id=inquiry.pk, staff=staff, body="10時から19時です。")
    assert message.delivery_ref == "" and line_stub.requests == []
    assert services.inquiry_from_line(line_user_id="U" + "b" * 32, text="   ") is None


def test_reply_template_fills_in_name_and_order_number(member):
    order = OrderFactory(user=member)
    inquiry = create(user=member, order=order)
    template = ReplyTemplate.objects.create(
        title="発送", body="{name} 様\nご注文 {order_number} は発送済みです。{other}"
    )
    text = selectors.reply_template_render(template=template, inquiry=inquiry)
    assert text == f"山田 花子 様\nご注文 {order.number} は発送済みです。{{other}}"


def test_complaint_report_back_is_stamped(staff):
    complaint = Complaint(
        content="破損して届いた", cause="梱包不足", fix="交換品を発送", prevention="緩衝材を追加", owner=staff
    )
    services.complaint_save(complaint=complaint)
    assert complaint.reported_back_at is None
    complaint.reported_back = "お詫びと対策をメールでご報告"
    services.complaint_save(complaint=complaint)
    assert complaint.reported_back_at is not None


def test_a_redelivered_line_event_adds_nothing(member):
    from shop.support.tasks import inquiry_from_line_message

    line_id = "U" + "c" * 32
    inquiry_from_line_message.delay(line_id, "返品の方法を教えてください", member.pk, "event-1")
    inquiry_from_line_message.delay(line_id, "返品の方法を教えてください", member.pk, "event-1")
    inquiry = Inquiry.objects.get()
    assert inquiry.user == member and inquiry.messages.count() == 1
    services.inquiry_from_line(line_user_id=line_id, text="追加の質問", user=member, event_id="event-2")
    services.inquiry_from_line(line_user_id=line_id, text="追加の質問", user=member, event_id="event-2")
    assert inquiry.messages.count() == 2
