"""LINE push through line-bot-sdk against a local HTTP stub: the exact request, retries, errors in the log."""

import datetime

import pytest

from shop.notifications import services
from shop.notifications.channels.line import flex_card
from shop.notifications.models import Notification, NotificationSettings

from .conftest import LINE_TOKEN, give_marketing_consent, jst

Status = Notification.Status
pytestmark = pytest.mark.django_db
LINE_ID = "U1234567890abcdef1234567890abcdef"
NOW = jst(2025, 6, 2, 12, 0)


def enqueue_line(user, key="order_confirmation:1", **context):
    [row] = services.notification_enqueue(
        kind="order_confirmation",
        user=user,
        context={
            "order_number": "A1B2C3",
            "total": "¥5,500（税込）",
            "order_url": "https://shop.example.jp/o/1/",
            **context,
        },
        dedupe_key=key,
        channels=["line"],
        now=NOW,
    )
    return row


def test_push_request_is_exactly_what_line_expects(linked_user, line_stub):
    row = enqueue_line(linked_user)
    assert services.notification_deliver(notification_id=row.pk, now=NOW) == Status.SENT

    [request] = line_stub.requests
    assert request.method == "POST"
    assert request.path == "/v2/bot/message/push"
    assert request.headers["Authorization"] == f"Bearer {LINE_TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Line-Retry-Key"] == str(row.retry_key)
    body = request.json
    assert set(body) == {"to", "messages", "notificationDisabled"}
    assert body["to"] == LINE_ID
    assert body["notificationDisabled"] is False
    [message] = body["messages"]
    assert message["type"] == "text"
    assert "A1B2C3" in message["text"] and "https://shop.example.jp/o/1/" in message["text"]
    assert body["messages"] == row.line_messages
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 1 and row.sent_at == NOW


def test_flex_card_for_a_product(linked_user, line_stub):
    give_marketing_consent(linked_user)
    card = {
        "title": "リネンシャツ",
        "price": "¥4,980（税込）",
        "text": "夏の新作",
        "image_url": "https://shop.example.jp/media/p/1.jpg",
        "button_label": "商品を見る",
        "button_url": "https://shop.example.jp/p/linen/",
    }
    [row] = services.notification_enqueue(
        kind="campaign",
        user=linked_user,
        context={"subject": "新作", "text": "夏の新作が入荷しました", "line_card": card},
        dedupe_key="campaign:flex",
        channels=["line"],
        is_marketing=True,
        now=NOW,
    )
    services.notification_deliver(notification_id=row.pk, now=NOW)
    text, flex = line_stub.pushes[0].json["messages"]
    assert text["type"] == "text" and "夏の新作が入荷しました" in text["text"]
    assert row.unsubscribe_url in text["text"]  # marketing on LINE carries the opt-out link too
    assert row.line_messages[1] == flex_card(**card)
    assert flex["type"] == "flex" and flex["altText"] == "リネンシャツ"
    bubble = flex["contents"]
    assert bubble["hero"]["url"] == card["image_url"]
    assert bubble["footer"]["contents"][0]["action"] == {
        "type": "uri",
        "label": "商品を見る",
        "uri": "https://shop.example.jp/p/linen/",
    }
    assert [item["text"] for item in bubble["body"]["contents"]] == ["リネンシャツ", "¥4,980（税込）", "夏の新作"]


def test_flex_card_for_a_coupon_without_image():
    card = flex_card(title="10%オフクーポン", code="SUMMER10", button_url="https://shop.example.jp/c/")
    assert "hero" not in card["contents"]
    assert "SUMMER10" in card["contents"]["body"]["contents"][1]["text"]
    assert card["contents"]["footer"]["contents"][0]["action"]["label"]


def test_failing_stub_is_retried_with_backoff_and_the_error_logged(linked_user, line_stub):
    line_stub.fail_next(2, status=500)
    row = enqueue_line(linked_user)

    assert services.notification_deliver(notification_id=row.pk, now=NOW) == Status.FAILED
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error_type) == (Status.FAILED, 1, "HTTP 500")
    assert "The stub was told to fail" in row.last_error_message
    assert row.next_attempt_at == NOW + datetime.timedelta(seconds=30)

    # Not due yet: the sweeper leaves it.
    assert services.notifications_sweep(now=NOW + datetime.timedelta(seconds=29)) == {}
    assert services.notifications_sweep(now=NOW + datetime.timedelta(seconds=30)) == {"failed": 1}
    row.refresh_from_db()
    assert row.attempts == 2 and row.next_attempt_at == NOW + datetime.timedelta(seconds=30 + 120)

    assert services.notifications_sweep(now=NOW + datetime.timedelta(minutes=3)) == {"sent": 1}
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == (Status.SENT, 3, None)
    assert row.last_error_type == "HTTP 500"  # the log keeps the last error it recovered from
    # Every attempt carried the same retry key, so LINE delivers the message once.
    assert {request.headers["X-Line-Retry-Key"] for request in line_stub.pushes} == {str(row.retry_key)}
    assert len(line_stub.delivered) == 1


def test_gives_up_after_max_attempts(linked_user, line_stub):
    config = NotificationSettings.load()
    config.max_attempts = 3
    config.save()
    line_stub.fail_next(10, status=503)
    row = enqueue_line(linked_user)
    now = NOW
    for _attempt in range(3):
        services.notification_deliver(notification_id=row.pk, now=now)
        now += datetime.timedelta(hours=7)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == (Status.FAILED, 3, None)
    assert services.notifications_sweep(now=now + datetime.timedelta(days=1)) == {}
    assert len(line_stub.pushes) == 3


def test_invalid_request_is_not_retried(linked_user, line_stub):
    line_stub.fail_next(1, status=400)
    row = enqueue_line(linked_user)
    services.notification_deliver(notification_id=row.pk, now=NOW)
    row.refresh_from_db()
    assert (row.status, row.last_error_type, row.next_attempt_at) == (Status.FAILED, "HTTP 400", None)


def test_unreachable_line_api_is_a_logged_transient_error(linked_user, settings):
    settings.LINE_API_HOST = "http://127.0.0.1:9"  # nothing listens on the discard port
    row = enqueue_line(linked_user)
    services.notification_deliver(notification_id=row.pk, now=NOW)
    row.refresh_from_db()
    assert row.status == Status.FAILED and row.next_attempt_at is not None
    assert row.last_error_type and row.last_error_message


def test_crash_mid_send_is_retried_after_timeout_and_line_drops_the_repeat(linked_user, line_stub):
    row = enqueue_line(linked_user)
    # The worker pushed, LINE accepted, then the worker died before recording "sent".
    services.notification_deliver(notification_id=row.pk, now=NOW)
    Notification.objects.filter(pk=row.pk).update(status=Status.SENDING, claimed_at=NOW, sent_at=None)

    assert services.notifications_sweep(now=NOW + datetime.timedelta(minutes=5)) == {}  # maybe still sending
    assert services.notifications_sweep(now=NOW + datetime.timedelta(minutes=11)) == {"sent": 1}
    first, second = line_stub.pushes
    assert first.headers["X-Line-Retry-Key"] == second.headers["X-Line-Retry-Key"]
    assert second.status == 409  # LINE: already accepted, so the user got it once
    assert len(line_stub.delivered) == 1
    row.refresh_from_db()
    assert row.status == Status.SENT


def test_a_sent_row_is_never_sent_again(linked_user, line_stub):
    row = enqueue_line(linked_user)
    for _ in range(3):
        services.notification_deliver(notification_id=row.pk, now=NOW)
    assert services.notifications_sweep(now=NOW + datetime.timedelta(days=1)) == {}
    assert len(line_stub.pushes) == 1


def test_unlinked_before_delivery_is_cancelled(linked_user, line_stub):
    row = enqueue_line(linked_user)
    services.line_unlink(user=linked_user)
    assert services.notification_deliver(notification_id=row.pk, now=NOW) == Status.CANCELLED
    assert line_stub.requests == []


def test_line_skipped_when_not_configured(linked_user, settings):
    settings.LINE_CHANNEL_ACCESS_TOKEN = ""
    rows = services.notification_enqueue(
        kind="order_confirmation", user=linked_user, context={"order_number": "X"}, dedupe_key="k", now=NOW
    )
    assert [row.channel for row in rows] == ["email"]
