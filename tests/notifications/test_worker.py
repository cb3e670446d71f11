"""A real Celery worker delivers outbox rows to the LINE stub: each exactly once, even when tasks repeat."""

import pytest
from django.db import transaction

from shop.notifications import services
from shop.notifications.models import Notification
from shop.notifications.tasks import deliver

from .conftest import LINE_TOKEN

Status = Notification.Status
COUNT = 20


@pytest.fixture
def line_worker(line_stub, monkeypatch, request):
    """The worker reads its settings from the environment, as in production: point it at the stub first."""
    monkeypatch.setenv("LINE_API_HOST", line_stub.url)
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", LINE_TOKEN)
    return request.getfixturevalue("celery_worker_process")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_delivers_each_notification_exactly_once(line_stub, line_worker):
    from tests.factories import UserFactory

    users = [UserFactory(email=f"worker{index}@example.jp") for index in range(COUNT)]
    for index, user in enumerate(users):
        services.line_link_set(user=user, line_user_id=f"U{index:032x}", source="code")
    with transaction.atomic():  # published to Redis only when this commits
        for index, user in enumerate(users):
            services.notification_enqueue(
                kind="order_confirmation",
                user=user,
                context={"order_number": f"W{index:03d}", "total": "¥1,980（税込）"},
                dedupe_key=f"order_confirmation:W{index:03d}",
                channels=["line"],
            )
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert len(ids) == COUNT

    line_worker.wait_until(
        lambda: Notification.objects.filter(status=Status.SENT).count() == COUNT, what="all 20 rows sent"
    )
    # Duplicated tasks (a redelivery after a lost ack) and a sweep find nothing left to send.
    for notification_id in ids:
        deliver.delay(notification_id)
    assert services.notifications_sweep() == {}
    line_worker.wait_until(lambda: _deliveries_finished(line_worker) >= 2 * COUNT, what="the repeated tasks to end")

    pushes = line_stub.pushes
    assert len(pushes) == COUNT
    assert sorted(request.json["to"] for request in pushes) == sorted(f"U{index:032x}" for index in range(COUNT))
    assert len({request.headers["X-Line-Retry-Key"] for request in pushes}) == COUNT
    assert all(request.headers["Authorization"] == f"Bearer {LINE_TOKEN}" for request in pushes)
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}


def _deliveries_finished(worker) -> int:
    return sum(
        1
        for line in worker.log().splitlines()
        if "shop.notifications.tasks.deliver[" in line and " succeeded in " in line
    )
