"""The sweeper: rows whose task never reached a worker (Redis down) are delivered by the command, once."""

import io

import pytest
from django.core import mail
from django.core.management import call_command

from shop.notifications import services
from shop.notifications.models import Notification

Status = Notification.Status
pytestmark = pytest.mark.django_db


def pending_row(user, index, channel="email", recipient=None):
    """What the outbox holds after an enqueue whose publish failed: a committed pending row and no task."""
    return Notification.objects.create(
        user=user,
        channel=channel,
        kind="order_confirmation",
        dedupe_key=f"order_confirmation:{index}:{channel}",
        batch_key=f"order_confirmation:{index}",
        recipient=recipient or user.email,
        subject=f"ご注文ありがとうございます（{index}）",
        body_text=f"注文 {index}",
        line_messages=[{"type": "text", "text": f"注文 {index}"}],
        status=Status.PENDING,
    )


def test_command_delivers_rows_left_pending_exactly_once(user):
    rows = [pending_row(user, index) for index in range(5)]
    out = io.StringIO()
    call_command("send_pending_notifications", stdout=out)
    assert out.getvalue().strip() == "sent: 5"
    assert sorted(message.subject for message in mail.outbox) == sorted(row.subject for row in rows)
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}

    out = io.StringIO()
    call_command("send_pending_notifications", stdout=out)
    assert out.getvalue().strip() == "nothing due"
    assert len(mail.outbox) == 5


def test_command_delivers_line_rows_too(linked_user, line_stub):
    row = pending_row(linked_user, 1, channel="line", recipient=linked_user.line_link.line_user_id)
    call_command("send_pending_notifications", stdout=io.StringIO())
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert [request.json["to"] for request in line_stub.pushes] == [linked_user.line_link.line_user_id]


def test_command_works_in_rounds(user):
    for index in range(7):
        pending_row(user, index)
    out = io.StringIO()
    call_command("send_pending_notifications", "--limit", "3", stdout=out)
    assert out.getvalue().strip() == "sent: 7"


def test_sweep_task_runs_the_same_service(user):
    from shop.notifications.tasks import sweep_outbox

    pending_row(user, 1)
    assert sweep_outbox.delay().get() == {"sent": 1}
    assert Notification.objects.get().status == Status.SENT


def test_beat_schedule_has_the_sweeper(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-notification-outbox"]
    assert entry["task"] == "shop.notifications.tasks.sweep_outbox"
    assert not services.notifications_sweep()  # nothing due in an empty outbox
