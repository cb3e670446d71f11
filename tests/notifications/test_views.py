"""The LINE webhook, the account's notification settings, the one-click unsubscribe and the admin delivery log."""

import base64
import datetime
import hashlib
import hmac
import json

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from shop.accounts.models import Consent
from shop.notifications import selectors, services
from shop.notifications.models import LineLink, LineLinkCode, Notification, Preference, Unsubscribe

from .conftest import LINE_SECRET, give_marketing_consent, jst

Status = Notification.Status
pytestmark = pytest.mark.django_db
LINE_ID = "Uaaaabbbbccccddddeeeeffff00001111"
WEBHOOK = "/line/webhook/"
DAYTIME = jst(2025, 6, 2, 12, 0)


def sign(body: bytes, secret: str = LINE_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook_post(client, events, *, signature=None):
    body = json.dumps({"destination": "Ubot", "events": events}).encode()
    headers = {} if signature is False else {"HTTP_X_LINE_SIGNATURE": signature or sign(body)}
    return client.post(WEBHOOK, data=body, content_type="application/json", **headers)


def text_event(text, user_id=LINE_ID):
    return {
        "type": "message",
        "mode": "active",
        "timestamp": 1717300000000,
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": "01HX",
        "replyToken": "r",
        "message": {"type": "text", "id": "1", "text": text},
    }


# --- Webhook ----------------------------------------------------------------------------------------------------------


def test_webhook_url():
    assert reverse("notifications:line_webhook") == WEBHOOK


def test_link_code_sent_to_the_official_account_links_the_user(client, user, line_stub):
    code = services.line_link_code_create(user=user)
    response = webhook_post(client, [{"type": "follow", "source": {"type": "user", "userId": LINE_ID}}])
    assert response.status_code == 200 and not LineLink.objects.exists()  # following alone links nothing

    response = webhook_post(client, [text_event(f" {code.code} ")])
    assert response.status_code == 200
    link = LineLink.objects.get()
    assert (link.user, link.line_user_id, link.source) == (user, LINE_ID, "code")
    assert not LineLinkCode.objects.exists()  # one use only
    confirmation = Notification.objects.get(kind="line_linked")
    assert confirmation.channel == "line" and confirmation.recipient == LINE_ID


def test_wrong_or_expired_code_links_nothing(client, user, line_stub):
    code = services.line_link_code_create(user=user, now=timezone.now() - datetime.timedelta(hours=1))
    assert webhook_post(client, [text_event(code.code)]).status_code == 200
    assert webhook_post(client, [text_event("hello")]).status_code == 200
    assert webhook_post(client, [text_event("000000" if code.code != "000000" else "111111")]).status_code == 200
    assert not LineLink.objects.exists()


def test_other_messages_are_announced_to_other_apps(client, linked_user, django_capture_on_commit_callbacks):
    from shop.notifications.signals import line_message_received

    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    line_message_received.connect(receiver)
    try:
        line_user_id = linked_user.line_link.line_user_id
        with django_capture_on_commit_callbacks(execute=True):
            assert webhook_post(client, [text_event("サイズ交換できますか？", user_id=line_user_id)]).status_code == 200
    finally:
        line_message_received.disconnect(receiver)
    [call] = received
    assert (call["user"], call["line_user_id"], call["text"]) == (linked_user, line_user_id, "サイズ交換できますか？")


def test_unfollow_unlinks(client, linked_user):
    line_user_id = linked_user.line_link.line_user_id
    response = webhook_post(client, [{"type": "unfollow", "source": {"type": "user", "userId": line_user_id}}])
    assert response.status_code == 200
    assert not LineLink.objects.exists()


@pytest.mark.parametrize("signature", [False, "", "bm90IGEgc2lnbmF0dXJl", "wrong-secret"])
def test_bad_or_missing_signature_is_refused_and_nothing_written(client, linked_user, signature):
    body = json.dumps({"events": [{"type": "unfollow", "source": {"type": "user", "userId": LINE_ID}}]}).encode()
    if signature == "wrong-secret":
        signature = sign(body, secret="another-secret")
    headers = {} if signature is False else {"HTTP_X_LINE_SIGNATURE": signature}
    LineLink.objects.filter(user=linked_user).update(line_user_id=LINE_ID)
    response = client.post(WEBHOOK, data=body, content_type="application/json", **headers)
    assert response.status_code == 400
    assert LineLink.objects.filter(line_user_id=LINE_ID).exists()


def test_signature_covers_the_raw_body(client, user, line_stub):
    code = services.line_link_code_create(user=user)
    body = json.dumps({"events": [text_event(code.code)]}).encode()
    tampered = body.replace(LINE_ID.encode(), b"Uattacker0000000000000000000000000")
    response = client.post(WEBHOOK, data=tampered, content_type="application/json", HTTP_X_LINE_SIGNATURE=sign(body))
    assert response.status_code == 400 and not LineLink.objects.exists()


def test_webhook_refused_when_no_secret_is_configured(client, settings):
    settings.LINE_CHANNEL_SECRET = ""
    body = b'{"events": []}'
    response = client.post(WEBHOOK, data=body, content_type="application/json", HTTP_X_LINE_SIGNATURE=sign(body, ""))
    assert response.status_code == 400


def test_verification_request_with_no_events(client, line_stub):
    assert webhook_post(client, []).status_code == 200


# --- Account page -----------------------------------------------------------------------------------------------------


def test_preferences_page_requires_login(client):
    response = client.get("/account/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_preferences_page_shows_grid_and_saves(client, user, line_stub):
    client.force_login(user)
    page = client.get(reverse("notifications:preferences"))
    assert page.status_code == 200
    assert page.context["account_section"] == "notifications"
    html = page.content.decode()
    assert 'name="points:email"' in html and 'name="marketing:line"' in html
    assert 'name="orders:email"' in html and "disabled" in html  # the order e-mail is always on

    response = client.post(
        reverse("notifications:preferences"),
        {"orders:line": "on", "points:email": "on", "marketing_consent": "on", "marketing:email": "on"},
    )
    assert response.status_code == 302
    enabled = {(row.group, row.channel): row.enabled for row in Preference.objects.filter(user=user)}
    assert enabled[("points", "email")] is True
    assert enabled[("points", "line")] is False
    assert enabled[("marketing", "line")] is False
    assert ("orders", "email") not in enabled
    assert selectors.marketing_consented(user=user)
    assert Consent.objects.get(user=user).source == "account_notifications"


def test_link_code_button_shows_a_six_digit_code(client, user, line_stub):
    client.force_login(user)
    response = client.post(reverse("notifications:line_code"), follow=True)
    code = LineLinkCode.objects.get(user=user).code
    assert len(code) == 6 and code.isdigit()
    assert f'<strong id="line-link-code">{code}</strong>' in response.content.decode()
    client.post(reverse("notifications:line_code"))
    assert LineLinkCode.objects.filter(user=user).count() == 1  # a new code replaces the old one


def test_linked_status_and_unlink(client, linked_user):
    client.force_login(linked_user)
    html = client.get(reverse("notifications:preferences")).content.decode()
    assert f'action="{reverse("notifications:line_unlink")}"' in html
    client.post(reverse("notifications:line_unlink"))
    assert not LineLink.objects.filter(user=linked_user).exists()


# --- Unsubscribe ------------------------------------------------------------------------------------------------------


def marketing(user, key, now=DAYTIME):
    return services.notification_enqueue(
        kind="campaign",
        user=user,
        context={"subject": "セール", "text": "全品20%オフ"},
        dedupe_key=key,
        is_marketing=True,
        channels=["email"],
        now=now,
    )


def test_unsubscribe_link_asks_for_a_reason_and_blocks_further_marketing(client, user):
    give_marketing_consent(user)
    [first] = marketing(user, "c1")
    [waiting] = marketing(user, "c2", now=jst(2025, 6, 2, 22, 0))  # held for quiet hours
    assert waiting.status == Status.HELD
    path = first.unsubscribe_url.removeprefix("https://shop.example.jp")

    page = client.get(path)  # no login needed
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    assert not Unsubscribe.objects.exists()  # a GET (a mail scanner following links) changes nothing

    response = client.post(path, {"reason": "too_many", "comment": "週に一度で十分です"})
    assert response.status_code == 200
    record = Unsubscribe.objects.get()
    assert (record.user, record.group, record.channel, record.reason) == (user, "marketing", "email", "too_many")
    assert record.comment == "週に一度で十分です"
    assert Preference.objects.get(user=user, group="marketing", channel="email").enabled is False
    waiting.refresh_from_db()
    assert waiting.status == Status.CANCELLED

    [later] = marketing(user, "c3", now=DAYTIME + datetime.timedelta(days=8))
    assert (later.status, later.last_error_type) == (Status.SKIPPED, "preference_off")
    # Transactional mail still goes out.
    [order] = services.notification_enqueue(
        kind="order_confirmation", user=user, context={"order_number": "X1"}, dedupe_key="order:X1"
    )
    assert order.status == Status.PENDING


def test_one_click_unsubscribe_from_the_mail_client(client, user):
    give_marketing_consent(user)
    [row] = marketing(user, "c1")
    path = row.unsubscribe_url.removeprefix("https://shop.example.jp")
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Unsubscribe.objects.get().source == "list-unsubscribe"
    assert services.notification_deliver(notification_id=row.pk, now=DAYTIME) == Status.CANCELLED
    assert mail.outbox == []


def test_tampered_unsubscribe_token_is_refused(client, user):
    token = selectors.unsubscribe_token(user_id=user.pk, group="marketing", channel="email")
    response = client.post(reverse("notifications:unsubscribe", args=[token[:-2] + "xx"]), {"reason": "other"})
    assert response.status_code == 404
    assert not Unsubscribe.objects.exists()


def test_marketing_consent_withdrawn_after_enqueue_cancels(user):
    give_marketing_consent(user)
    [row] = marketing(user, "c1")
    give_marketing_consent(user, granted=False)
    assert services.notification_deliver(notification_id=row.pk, now=DAYTIME) == Status.CANCELLED


# --- Admin ------------------------------------------------------------------------------------------------------------


def test_admin_delivery_log_and_retry_now(admin_client_verified, linked_user, line_stub):
    line_stub.fail_next(1, status=500)
    [row] = services.notification_enqueue(
        kind="order_confirmation", user=linked_user, context={"order_number": "Z9"}, dedupe_key="o", channels=["line"]
    )
    services.notification_deliver(notification_id=row.pk)
    page = admin_client_verified.get(reverse("admin:notifications_notification_changelist"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "HTTP 500" in html and "The stub was told to fail" in html
    detail = admin_client_verified.get(reverse("admin:notifications_notification_change", args=[row.pk]))
    assert detail.status_code == 200

    response = admin_client_verified.post(
        reverse("admin:notifications_notification_changelist"),
        {"action": "retry_now", "_selected_action": [row.pk]},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == Status.PENDING  # published on commit; delivered by the worker (or the sweeper)
    services.notifications_sweep()
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 2


@pytest.mark.parametrize(
    "name",
    [
        "admin:notifications_preference_changelist",
        "admin:notifications_linelink_changelist",
        "admin:notifications_unsubscribe_changelist",
    ],
)
def test_admin_lists(admin_client_verified, name):
    assert admin_client_verified.get(reverse(name)).status_code == 200


def test_admin_settings_singleton(admin_client_verified):
    response = admin_client_verified.get(reverse("admin:notifications_notificationsettings_changelist"))
    assert response.status_code == 302
    assert admin_client_verified.get(response["Location"]).status_code == 200
