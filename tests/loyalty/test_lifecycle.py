"""Lifecycle messages (F47): the follow-up after delivery, the first-order anniversary and event invitations, each
once, at the right time, through preferences, quiet hours and the weekly cap. Every call passes an explicit `now`."""

import datetime

import pytest
from django.core.management import call_command

from loyalty.models import EventInvitation, LifecycleSettings, Segment
from loyalty.services import lifecycle
from shop.accounts.privacy_services import consent_record
from shop.notifications.models import Channel, Notification, NotificationSettings, Preference
from shop.orders.models import Order, OrderLine
from tests.factories import VariantFactory

from .conftest import JST, T0, days, make_member, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://shop.example.jp"


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=JST)


def consent(user):
    consent_record(user=user, purpose="marketing", granted=True, source="tests")


def delivered_order(user, *, delivered_at=T0, paid_at=None):
    order = make_order(user, subtotal=3000, paid_at=paid_at or delivered_at - days(3), status=Order.Status.DELIVERED)
    order.delivered_at = delivered_at
    order.save(update_fields=["delivered_at"])
    variant = VariantFactory()
    OrderLine.objects.create(
        order=order, variant=variant, sku=variant.sku, product_name=variant.product.name, unit_price=3000, quantity=1
    )
    return order


def messages(kind, user=None):
    rows = Notification.objects.filter(kind=kind)
    if user is not None:
        rows = rows.filter(user=user)
    return list(rows.order_by("id"))


# --- Follow-up after delivery -----------------------------------------------------------------------------------------


def test_follow_up_goes_once_follow_up_days_after_delivery(member):
    order = delivered_order(member, delivered_at=T0)  # 2026-04-01 12:00 JST

    assert lifecycle.follow_ups_send_due(now=T0 + days(2)) == 0
    assert lifecycle.follow_ups_send_due(now=T0 + days(3)) == 1
    assert lifecycle.follow_ups_send_due(now=T0 + days(3) + datetime.timedelta(hours=2)) == 0

    [row] = messages("purchase_follow_up", member)
    assert row.status == Notification.Status.PENDING and row.is_marketing is False
    assert order.number in row.body_text
    assert f"https://shop.example.jp/orders/{order.number}/" in row.body_text
    product = order.lines.get().variant.product
    assert f"https://shop.example.jp/p/{product.slug}/reviews/write/" in row.body_text


def test_follow_up_days_come_from_the_settings(member):
    LifecycleSettings.objects.update_or_create(pk=1, defaults={"follow_up_days": 7})
    delivered_order(member, delivered_at=T0)
    assert lifecycle.follow_ups_send_due(now=T0 + days(6)) == 0
    assert lifecycle.follow_ups_send_due(now=T0 + days(7)) == 1


def test_follow_up_waits_for_the_end_of_quiet_hours(member):
    delivered_order(member, delivered_at=at(2026, 4, 1, 22, 30))

    assert lifecycle.follow_ups_send_due(now=at(2026, 4, 4, 22, 45)) == 0  # 3 days later, but 22:45 JST
    assert lifecycle.follow_ups_send_due(now=at(2026, 4, 5, 8, 59)) == 0
    assert lifecycle.follow_ups_send_due(now=at(2026, 4, 5, 9, 0)) == 1


def test_a_member_who_switched_follow_ups_off_gets_none_and_it_is_not_retried(member):
    Preference.objects.create(user=member, group="follow_up", channel=Channel.EMAIL, enabled=False)
    delivered_order(member, delivered_at=T0)

    lifecycle.follow_ups_send_due(now=T0 + days(3))
    lifecycle.follow_ups_send_due(now=T0 + days(4))

    [row] = messages("purchase_follow_up", member)
    assert (row.status, row.last_error_type) == (Notification.Status.SKIPPED, "preference_off")


def test_no_follow_up_for_old_deliveries_guests_undelivered_or_when_switched_off(member):
    delivered_order(member, delivered_at=T0 - days(30))  # past follow_up_max_late_days
    make_order(member, subtotal=1000, paid_at=T0 - days(10), status=Order.Status.SHIPPED)
    delivered_order(None, delivered_at=T0)  # a guest order
    assert lifecycle.follow_ups_send_due(now=T0 + days(3)) == 0
    assert not messages("purchase_follow_up")

    delivered_order(member, delivered_at=T0)
    LifecycleSettings.objects.update_or_create(pk=1, defaults={"follow_up_enabled": False})
    assert lifecycle.follow_ups_send_due(now=T0 + days(3)) == 0
    assert not messages("purchase_follow_up")


# --- First-order anniversary ----------------------------------------------------------------------------------------


def test_anniversary_once_one_year_after_the_first_paid_order(member):
    consent(member)
    make_order(member, subtotal=5000, paid_at=T0)  # 2026-04-01 12:00 JST
    make_order(member, subtotal=5000, paid_at=T0 + days(40))  # later orders do not move the date
    make_order(member, subtotal=5000, paid_at=None)

    assert lifecycle.anniversaries_send_due(now=at(2027, 3, 31, 12, 0)) == 0
    assert lifecycle.anniversaries_send_due(now=at(2027, 4, 1, 10, 0)) == 1
    assert lifecycle.anniversaries_send_due(now=at(2027, 4, 2, 10, 0)) == 0

    [row] = messages("order_anniversary", member)
    assert row.is_marketing is True and row.status == Notification.Status.PENDING
    assert row.unsubscribe_url  # marketing carries its unsubscribe link
    assert "2026" in row.body_text


def test_a_cancelled_first_order_does_not_count(member):
    consent(member)
    make_order(member, subtotal=5000, paid_at=T0, status=Order.Status.CANCELLED)
    make_order(member, subtotal=5000, paid_at=T0 + days(10))
    assert lifecycle.anniversaries_send_due(now=at(2027, 4, 1, 10, 0)) == 0
    assert lifecycle.anniversaries_send_due(now=at(2027, 4, 11, 10, 0)) == 1


def test_anniversary_without_marketing_consent_is_skipped_and_never_sent_later(member):
    make_order(member, subtotal=5000, paid_at=T0)
    lifecycle.anniversaries_send_due(now=at(2027, 4, 1, 10, 0))
    consent(member)
    lifecycle.anniversaries_send_due(now=at(2027, 4, 2, 10, 0))

    [row] = messages("order_anniversary", member)
    assert (row.status, row.last_error_type) == (Notification.Status.SKIPPED, "no_consent")


def test_anniversary_written_in_quiet_hours_is_held_until_nine(member):
    consent(member)
    make_order(member, subtotal=5000, paid_at=T0)
    lifecycle.anniversaries_send_due(now=at(2027, 4, 1, 22, 0))

    [row] = messages("order_anniversary", member)
    assert row.status == Notification.Status.HELD
    assert row.not_before == at(2027, 4, 2, 9, 0)


def test_anniversary_respects_the_weekly_cap(member):
    consent(member)
    config = NotificationSettings.load()
    config.marketing_cap_per_week = 1
    config.save()
    make_order(member, subtotal=5000, paid_at=T0)
    invitation = EventInvitation.objects.create(
        title="ポップアップストア", body="渋谷で開催します。", event_at=at(2027, 4, 20, 11)
    )
    lifecycle.event_invitation_schedule(invitation=invitation, now=at(2027, 3, 30, 10))
    lifecycle.event_invitations_send_due(now=at(2027, 3, 30, 10))

    lifecycle.anniversaries_send_due(now=at(2027, 4, 1, 10, 0))

    [row] = messages("order_anniversary", member)
    assert (row.status, row.last_error_type) == (Notification.Status.SKIPPED, "weekly_cap")


# --- Event invitations ----------------------------------------------------------------------------------------------


def test_invitation_goes_to_all_members_once_at_its_send_time_and_only_with_consent(member):
    other = make_member(email="taro@example.jp")
    consent(member)
    invitation = EventInvitation.objects.create(
        title="春のスタイリング会",
        body="スタイリストがコーディネートをご提案します。",
        event_at=at(2026, 4, 20, 14, 0),
        link="/p/spring/",
    )
    lifecycle.event_invitation_schedule(invitation=invitation, send_at=at(2026, 4, 10, 12, 0), now=T0)

    assert lifecycle.event_invitations_send_due(now=at(2026, 4, 10, 11, 59)) == 0
    assert lifecycle.event_invitations_send_due(now=at(2026, 4, 10, 12, 0)) == 2
    assert lifecycle.event_invitations_send_due(now=at(2026, 4, 10, 12, 15)) == 0
    assert lifecycle.event_invitation_send(invitation_id=invitation.pk, now=at(2026, 4, 10, 12, 30)) == 0

    [sent] = messages("event_invitation", member)
    assert sent.status == Notification.Status.PENDING and sent.is_marketing
    assert "2026-04-20 14:00" in sent.body_text and "https://shop.example.jp/p/spring/" in sent.body_text
    [skipped] = messages("event_invitation", other)
    assert skipped.last_error_type == "no_consent"
    invitation.refresh_from_db()
    assert invitation.status == EventInvitation.Status.SENT and invitation.recipients == 2


def test_invitation_to_a_segment_reaches_only_its_members(member):
    buyer = make_member(email="buyer@example.jp")
    consent(member)
    consent(buyer)
    make_order(buyer, subtotal=5000, paid_at=T0 - days(5))
    segment = Segment.objects.create(name="最近の購入者", bought_within_days=30)
    invitation = EventInvitation.objects.create(
        title="会員限定セール", body="ご購入者さま限定です。", event_at=T0 + days(10),
        audience=EventInvitation.Audience.SEGMENT, segment=segment,
    )  # fmt: skip
    lifecycle.event_invitation_schedule(invitation=invitation, now=T0)

    assert lifecycle.event_invitations_send_due(now=T0) == 1
    assert [row.user for row in messages("event_invitation")] == [buyer]


def test_invitation_in_quiet_hours_is_held(member):
    consent(member)
    invitation = EventInvitation.objects.create(title="夜のライブ配信", body="…", event_at=T0 + days(2))
    lifecycle.event_invitation_schedule(invitation=invitation, now=at(2026, 4, 1, 23, 0))
    lifecycle.event_invitations_send_due(now=at(2026, 4, 1, 23, 0))
    [row] = messages("event_invitation", member)
    assert row.status == Notification.Status.HELD and row.not_before == at(2026, 4, 2, 9, 0)


def test_draft_invitations_are_not_sent(member):
    consent(member)
    EventInvitation.objects.create(title="下書き", body="…", event_at=T0 + days(2), send_at=T0)
    assert lifecycle.event_invitations_send_due(now=T0 + days(1)) == 0


def test_the_command_runs_everything_due(member, capsys):
    delivered_order(member, delivered_at=datetime.datetime.now(JST) - days(4))
    call_command("send_lifecycle_messages")
    out = capsys.readouterr().out
    assert "Follow-ups:" in out and "invitation messages: 0" in out
