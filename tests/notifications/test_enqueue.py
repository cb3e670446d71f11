"""The outbox: rows per channel, languages, dedupe, preferences and the marketing rules (consent, cap, quiet hours)."""

import datetime

import pytest
from django.core import mail
from kombu.exceptions import OperationalError

from shop.notifications import services, tasks
from shop.notifications.models import Notification, NotificationSettings, Preference

from .conftest import give_marketing_consent, jst

Status = Notification.Status
pytestmark = pytest.mark.django_db

ORDER_CONTEXT = {
    "order_number": "A1B2C3",
    "customer_name": "山田 花子",
    "lines": [{"name": "リネンシャツ", "quantity": 1, "amount": "¥4,980"}],
    "total": "¥5,500（税込）",
    "order_url": "https://shop.example.jp/orders/A1B2C3/",
}
DAYTIME = jst(2025, 6, 2, 12, 0)  # a Monday


def campaign(user, key, *, now=DAYTIME, **kwargs):
    return services.notification_enqueue(
        kind="campaign",
        user=user,
        context={"subject": "夏のセール", "text": "全品20%オフ", "url": "https://shop.example.jp/sale/"},
        dedupe_key=key,
        is_marketing=True,
        now=now,
        **kwargs,
    )


def test_order_confirmation_email_rendered_in_the_order_language(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rows = services.notification_enqueue(
            kind="order_confirmation",
            user=user,
            context={**ORDER_CONTEXT, "language": "en"},
            dedupe_key="order_confirmation:1",
        )
    assert [row.channel for row in rows] == ["email"]  # not linked to LINE
    row = Notification.objects.get()
    assert row.status == Status.SENT and row.attempts == 1 and row.language == "en"
    assert row.subject == "[Tsunagu Shop] Thank you for your order (order A1B2C3)"
    [message] = mail.outbox
    assert message.to == ["hanako@example.jp"]
    assert message.subject == row.subject
    assert "リネンシャツ × 1" in message.body and "¥5,500（税込）" in message.body
    assert "https://shop.example.jp/orders/A1B2C3/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and 'lang="en"' in html and "A1B2C3" in html
    assert "List-Unsubscribe" not in message.extra_headers  # transactional


def test_language_defaults_to_japanese(user):
    [row] = services.notification_enqueue(
        kind="order_confirmation", user=user, context=ORDER_CONTEXT, dedupe_key="order_confirmation:ja"
    )
    assert row.language == "ja"
    assert "A1B2C3" in row.subject


def test_guest_order_by_email_address(db):
    [row] = services.notification_enqueue(
        kind="order_confirmation", email="guest@example.jp", context=ORDER_CONTEXT, dedupe_key="order_confirmation:g"
    )
    assert row.user is None and row.recipient == "guest@example.jp" and row.status == Status.PENDING


def test_same_dedupe_key_writes_no_second_row(linked_user):
    first = services.notification_enqueue(
        kind="order_confirmation", user=linked_user, context=ORDER_CONTEXT, dedupe_key="order_confirmation:7"
    )
    second = services.notification_enqueue(
        kind="order_confirmation", user=linked_user, context=ORDER_CONTEXT, dedupe_key="order_confirmation:7"
    )
    assert sorted(row.channel for row in first) == ["email", "line"]
    assert [row.pk for row in second] == [row.pk for row in first]
    assert Notification.objects.count() == 2


def test_line_row_when_linked_and_preferences_per_channel(linked_user):
    Preference.objects.create(user=linked_user, group="points", channel="email", enabled=False)
    rows = services.notification_enqueue(
        kind="points_earned", user=linked_user, context={"points": 50}, dedupe_key="points:1", template="campaign"
    )
    statuses = {row.channel: (row.status, row.last_error_type) for row in rows}
    assert statuses == {"email": (Status.SKIPPED, "preference_off"), "line": (Status.PENDING, "")}


def test_order_email_cannot_be_turned_off(user):
    services.preferences_save(user=user, choices={("orders", "email"): False})
    assert not Preference.objects.filter(group="orders").exists()
    [row] = services.notification_enqueue(
        kind="order_confirmation", user=user, context=ORDER_CONTEXT, dedupe_key="order_confirmation:8"
    )
    assert row.status == Status.PENDING


def test_channels_argument_restricts(linked_user):
    rows = services.notification_enqueue(
        kind="order_confirmation",
        user=linked_user,
        context=ORDER_CONTEXT,
        dedupe_key="order_confirmation:9",
        channels=["line"],
    )
    assert [row.channel for row in rows] == ["line"]
    assert "A1B2C3" in rows[0].line_messages[0]["text"]


def test_unknown_kind_is_refused(user):
    with pytest.raises(ValueError, match="Unknown notification kind"):
        services.notification_enqueue(kind="nope", user=user, context={}, dedupe_key="x")


def test_no_marketing_without_consent(user):
    [row] = campaign(user, "campaign:1:u")
    assert row.status == Status.SKIPPED and row.last_error_type == "no_consent"
    assert row.body_text == ""  # nothing rendered for a message that will not go out
    give_marketing_consent(user)
    give_marketing_consent(user, granted=False)  # withdrawn again: the latest choice counts
    [row] = campaign(user, "campaign:2:u")
    assert row.status == Status.SKIPPED


def test_marketing_with_consent_carries_unsubscribe_link(user):
    give_marketing_consent(user)
    [row] = campaign(user, "campaign:1:u")
    assert services.notification_deliver(notification_id=row.pk, now=DAYTIME) == Status.SENT
    row.refresh_from_db()
    assert row.unsubscribe_url.startswith("https://shop.example.jp/notifications/unsubscribe/")
    [message] = mail.outbox
    assert message.extra_headers["List-Unsubscribe"] == f"<{row.unsubscribe_url}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert row.unsubscribe_url in message.body
    assert row.unsubscribe_url in message.alternatives[0][0]


def test_weekly_cap_counts_messages_not_channels(linked_user):
    give_marketing_consent(linked_user)
    monday, tuesday, friday = DAYTIME, DAYTIME + datetime.timedelta(days=1), DAYTIME + datetime.timedelta(days=4)
    assert {row.status for row in campaign(linked_user, "c1", now=monday)} == {Status.PENDING}
    assert {row.status for row in campaign(linked_user, "c2", now=tuesday)} == {Status.PENDING}
    capped = campaign(linked_user, "c3", now=friday)
    assert {(row.status, row.last_error_type) for row in capped} == {(Status.SKIPPED, "weekly_cap")}
    assert len(capped) == 2  # both channels logged as skipped
    # Seven days after the first, there is room again.
    next_monday = monday + datetime.timedelta(days=7, minutes=1)
    assert {row.status for row in campaign(linked_user, "c4", now=next_monday)} == {Status.PENDING}


def test_weekly_cap_set_by_staff_and_per_campaign(user):
    give_marketing_consent(user)
    settings_row = NotificationSettings.load()
    settings_row.marketing_cap_per_week = 1
    settings_row.save()
    assert campaign(user, "c1")[0].status == Status.PENDING
    assert campaign(user, "c2", now=DAYTIME + datetime.timedelta(hours=1))[0].last_error_type == "weekly_cap"
    assert campaign(user, "c3", now=DAYTIME + datetime.timedelta(hours=2), cap_per_week=3)[0].status == Status.PENDING


@pytest.mark.parametrize(
    ("written", "held_until"),
    [
        (jst(2025, 6, 2, 21, 0), jst(2025, 6, 3, 9, 0)),
        (jst(2025, 6, 2, 23, 59), jst(2025, 6, 3, 9, 0)),
        (jst(2025, 6, 3, 3, 0), jst(2025, 6, 3, 9, 0)),
        (jst(2025, 6, 3, 8, 59), jst(2025, 6, 3, 9, 0)),
    ],
)
def test_quiet_hours_hold_marketing_until_nine(user, written, held_until):
    give_marketing_consent(user)
    [row] = campaign(user, f"c-{written.isoformat()}", now=written)
    assert row.status == Status.HELD
    assert row.not_before == held_until


@pytest.mark.parametrize("written", [jst(2025, 6, 2, 9, 0), jst(2025, 6, 2, 20, 59)])
def test_outside_quiet_hours_marketing_is_pending(user, written):
    give_marketing_consent(user)
    [row] = campaign(user, "c", now=written)
    assert row.status == Status.PENDING and row.not_before is None


def test_held_marketing_goes_out_at_nine_not_before(user):
    give_marketing_consent(user)
    [row] = campaign(user, "c", now=jst(2025, 6, 2, 22, 30))
    assert services.notifications_sweep(now=jst(2025, 6, 3, 8, 59)) == {}
    assert mail.outbox == []
    # A retry of the task inside quiet hours does not send either.
    assert services.notification_deliver(notification_id=row.pk, now=jst(2025, 6, 3, 8, 59)) == Status.HELD
    assert services.notifications_sweep(now=jst(2025, 6, 3, 9, 0)) == {"sent": 1}
    assert len(mail.outbox) == 1


def test_transactional_messages_ignore_quiet_hours(user):
    [row] = services.notification_enqueue(
        kind="order_confirmation",
        user=user,
        context=ORDER_CONTEXT,
        dedupe_key="order_confirmation:night",
        now=jst(2025, 6, 2, 23, 0),
    )
    assert row.status == Status.PENDING and row.not_before is None


def test_a_pending_marketing_row_reaching_quiet_hours_is_held(user):
    give_marketing_consent(user)
    [row] = campaign(user, "c", now=jst(2025, 6, 2, 20, 59))
    assert services.notification_deliver(notification_id=row.pk, now=jst(2025, 6, 2, 21, 5)) == Status.HELD
    row.refresh_from_db()
    assert row.not_before == jst(2025, 6, 3, 9, 0) and row.attempts == 0


def test_broker_down_enqueue_does_not_fail_and_sweep_delivers(user, monkeypatch, django_capture_on_commit_callbacks):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.deliver, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        [row] = services.notification_enqueue(
            kind="order_confirmation", user=user, context=ORDER_CONTEXT, dedupe_key="order_confirmation:down"
        )
    row.refresh_from_db()
    assert row.status == Status.PENDING and mail.outbox == []
    monkeypatch.undo()
    assert services.notifications_sweep() == {"sent": 1}
    assert services.notifications_sweep() == {}
    assert len(mail.outbox) == 1


def test_anonymised_user_gets_nothing(user):
    user.anonymised_at = DAYTIME
    user.save()
    assert (
        services.notification_enqueue(
            kind="order_confirmation", user=user, context=ORDER_CONTEXT, dedupe_key="order_confirmation:anon"
        )
        == []
    )
