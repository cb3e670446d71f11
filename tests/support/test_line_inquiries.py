"""A LINE message to the official account becomes an inquiry (notifications' webhook → signal → support task), and
the staff reply goes back to that person as a LINE push."""

import pytest

from shop.support.models import Inquiry
from shop.support.services import inquiry_reply
from tests.notifications.conftest import line_stub, linked_user, user  # noqa: F401 - fixtures
from tests.notifications.test_views import text_event, webhook_post

pytestmark = pytest.mark.django_db

LINE_ID = "U1234567890abcdef1234567890abcdef"


def test_a_line_message_becomes_an_inquiry_and_the_reply_is_pushed_on_line(
    client, linked_user, line_stub, staff, django_capture_on_commit_callbacks  # noqa: F811
):
    with django_capture_on_commit_callbacks(execute=True):
        response = webhook_post(client, [text_event("注文したシャツのサイズ交換はできますか？", user_id=LINE_ID)])
    assert response.status_code == 200
    inquiry = Inquiry.objects.get()
    assert (inquiry.channel, inquiry.user, inquiry.line_user_id) == ("line", linked_user, LINE_ID)
    assert "サイズ交換" in inquiry.messages.get().body

    # The same webhook delivered again (LINE redelivers) adds nothing.
    with django_capture_on_commit_callbacks(execute=True):
        webhook_post(client, [text_event("注文したシャツのサイズ交換はできますか？", user_id=LINE_ID)])
    assert Inquiry.objects.count() == 1 and inquiry.messages.count() == 1

    # The acknowledgement went back on LINE too.
    assert [push.json["to"] for push in line_stub.pushes] == [LINE_ID]
    with django_capture_on_commit_callbacks(execute=True):
        inquiry_reply(inquiry_id=inquiry.pk, staff=staff, body="はい、到着から7日以内なら交換できます。")
    pushes = line_stub.pushes
    assert len(pushes) == 2 and pushes[1].json["to"] == LINE_ID
    assert "7日以内" in str(pushes[1].json["messages"])
