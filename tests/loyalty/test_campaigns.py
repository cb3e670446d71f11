"""Campaigns: a send to 1,000 members, idempotency, the weekly cap, the test send, banned words, tracked links,
attribution of orders within 7 days of a click, coupon copies, A/B variants, and the scheduled run."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.utils import timezone, translation

from loyalty.models import (
    BannedWord,
    Campaign,
    CampaignClick,
    CampaignRecipient,
    CampaignVariant,
    Coupon,
    CouponRedemption,
    Segment,
)
from loyalty.selectors.campaigns import campaign_results, campaign_variant_for
from loyalty.services.campaigns import (
    CampaignError,
    campaign_click_record,
    campaign_schedule,
    campaign_send,
    campaign_send_test,
    campaigns_send_due,
)
from shop.accounts.models import Consent
from shop.notifications.models import Notification
from tests.factories import VariantFactory

from .conftest import make_member, make_order

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")
Status = Notification.Status
User = get_user_model()
NOON = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=JST)  # a Monday, outside quiet hours


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://shop.example.jp"


@pytest.fixture(autouse=True)
def _english():
    """Staff-facing errors are matched in English; the members' messages are rendered in Japanese regardless."""
    with translation.override("en"):
        yield


def bulk_members(count: int, *, prefix: str = "m", age_band: str = "20s") -> list:
    """Members with marketing and personalisation consent, made with bulk_create (fast enough for 1,000)."""
    users = User.objects.bulk_create(
        [User(email=f"{prefix}{index}@example.jp", age_band=age_band, password="!") for index in range(count)]
    )
    Consent.objects.bulk_create(
        [
            Consent(user=user, purpose=purpose, granted=True, source="tests")
            for user in users
            for purpose in (Consent.Purpose.MARKETING, Consent.Purpose.PERSONALISATION)
        ]
    )
    return users


@pytest.fixture
def staff(db):
    return make_member(email="staff@example.jp", is_staff=True)


@pytest.fixture
def product(db):
    return VariantFactory(price=4980).product


def make_campaign(segment, *, staff=None, product=None, tested=True, **fields) -> Campaign:
    campaign = Campaign.objects.create(
        name=fields.pop("name", "夏のセール"),
        segment=segment,
        channel=fields.pop("channel", Campaign.Channel.EMAIL),
        subject=fields.pop("subject", "夏のセール開催中"),
        text=fields.pop("text", "全品20%オフ。今週末まで。"),
        product=product,
        created_by=staff,
        test_sent_at=NOON - datetime.timedelta(hours=1) if tested else None,
        **fields,
    )
    return campaign


def send(campaign, *, now=NOON) -> int:
    campaign_schedule(campaign=campaign, now=now)
    return campaign_send(campaign_id=campaign.pk, now=now)


def test_a_campaign_to_1000_members_sends_1000_messages_once(product):
    bulk_members(1000)
    bulk_members(5, prefix="older", age_band="30s")
    segment = Segment.objects.create(name="20代", age_bands=["20s"])
    campaign = make_campaign(segment, product=product)

    assert send(campaign) == 1000
    rows = Notification.objects.filter(kind="campaign")
    assert rows.count() == 1000
    assert rows.values("user").distinct().count() == 1000
    assert set(rows.values_list("status", flat=True)) == {Status.PENDING}
    assert not rows.filter(user__age_band="30s").exists()
    assert CampaignRecipient.objects.filter(campaign=campaign, notification__isnull=False).count() == 1000
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT and campaign.sent_at == NOON

    # Run again (a retried task), even forced back to "sending" (a worker that stopped): nothing more.
    assert campaign_send(campaign_id=campaign.pk, now=NOON) == 0
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
    assert campaign_send(campaign_id=campaign.pk, now=NOON + datetime.timedelta(minutes=1)) == 0
    assert Notification.objects.filter(kind="campaign").count() == 1000
    assert CampaignRecipient.objects.filter(campaign=campaign).count() == 1000

    [result] = campaign_results(campaign=campaign)
    assert (result.recipients, result.sent, result.delivered, result.skipped) == (1000, 1000, 0, 0)
    message = rows.first()
    assert message.is_marketing and message.unsubscribe_url
    assert "/m/" in message.body_text and "全品20%オフ" in message.body_text


def test_the_segments_weekly_cap_holds_back_a_third_campaign_in_the_same_week():
    bulk_members(3)
    segment = Segment.objects.create(name="20代", age_bands=["20s"], cap_per_week=2)
    first, second, third = (make_campaign(segment, name=f"c{index}") for index in range(3))
    send(first, now=NOON)
    send(second, now=NOON + datetime.timedelta(days=1))
    send(third, now=NOON + datetime.timedelta(days=2))

    assert set(Notification.objects.filter(source=f"campaign:{second.pk}").values_list("status", flat=True)) == {
        Status.PENDING
    }
    capped = Notification.objects.filter(source=f"campaign:{third.pk}")
    assert capped.count() == 3
    assert set(capped.values_list("status", "last_error_type")) == {(Status.SKIPPED, "weekly_cap")}
    result = campaign_results(campaign=third)[0]
    assert (result.recipients, result.sent, result.skipped) == (3, 0, 3)

    # A week after the first one, the cap has room again.
    fourth = make_campaign(segment, name="c4")
    send(fourth, now=NOON + datetime.timedelta(days=7, minutes=1))
    assert set(Notification.objects.filter(source=f"campaign:{fourth.pk}").values_list("status", flat=True)) == {
        Status.PENDING
    }


def test_members_without_marketing_consent_get_nothing_and_no_coupon():
    consenting = bulk_members(1)[0]
    silent = make_member(email="silent@example.jp", age_band="20s")
    Consent.objects.create(user=silent, purpose=Consent.Purpose.PERSONALISATION, granted=True)
    template = Coupon.objects.create(code="SUMMER", name="夏の500円引き", kind=Coupon.Kind.FIXED, value=500)
    campaign = make_campaign(Segment.objects.create(name="20代", age_bands=["20s"]), coupon=template)
    send(campaign)

    statuses = dict(Notification.objects.filter(kind="campaign").values_list("user", "status"))
    assert statuses == {consenting.pk: Status.PENDING, silent.pk: Status.SKIPPED}
    copy = Coupon.objects.get(owner=consenting, issue_key=f"campaign:{campaign.pk}")
    assert copy.template == template and copy.code in Notification.objects.get(user=consenting).body_text
    assert not Coupon.objects.filter(owner=silent).exists()


def test_a_test_send_reaches_staff_only_and_does_not_count(staff, product, django_capture_on_commit_callbacks):
    shopper = bulk_members(1)[0]
    campaign = make_campaign(Segment.objects.create(name="20代", age_bands=["20s"]), product=product, tested=False)
    CampaignVariant.objects.create(campaign=campaign, label="A", subject="件名A", weight=50)
    CampaignVariant.objects.create(campaign=campaign, label="B", subject="件名B", weight=50)

    with pytest.raises(CampaignError, match="test"):
        campaign_schedule(campaign=campaign, now=NOON)
    with pytest.raises(CampaignError):
        campaign_send_test(campaign=campaign, staff_users=[shopper])

    with django_capture_on_commit_callbacks(execute=True):
        written = campaign_send_test(campaign=campaign, staff_users=[staff, shopper], now=NOON)
    assert written == 2  # variants A and B, to the staff member only
    assert set(Notification.objects.values_list("user", flat=True)) == {staff.pk}
    # The subject starts with a (translated) test mark naming the variant.
    assert sorted(message.subject[-3:] for message in mail.outbox) == ["件名A", "件名B"]
    assert all(" A] " in m.subject or " B] " in m.subject for m in mail.outbox)
    assert {tuple(message.to) for message in mail.outbox} == {("staff@example.jp",)}
    assert not CampaignRecipient.objects.exists()
    campaign.refresh_from_db()
    assert campaign.test_sent_at == NOON
    assert campaign_results(campaign=campaign)[0].recipients == 0

    campaign_schedule(campaign=campaign, now=NOON)
    assert campaign.status == Campaign.Status.SCHEDULED and campaign.send_at == NOON


def test_a_banned_word_blocks_the_send_and_names_the_word(staff):
    bulk_members(2)
    BannedWord.objects.create(word="No.1", note="根拠のない最上級表示")
    campaign = make_campaign(
        Segment.objects.create(name="20代", age_bands=["20s"]), text="満足度ＮＯ．１の美容液", tested=False
    )
    with pytest.raises(CampaignError, match="No.1"):
        campaign_send_test(campaign=campaign, staff_users=[staff])
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.BLOCKED and "No.1" in campaign.blocked_reason
    assert not Notification.objects.exists()

    # Cleaned up, tested and scheduled; then a variant with the word is added before the send time.
    Campaign.objects.filter(pk=campaign.pk).update(text="人気の美容液")
    campaign.refresh_from_db()
    campaign_send_test(campaign=campaign, staff_users=[staff], now=NOON)
    campaign_schedule(campaign=campaign, send_at=NOON + datetime.timedelta(hours=1), now=NOON)
    CampaignVariant.objects.create(campaign=campaign, label="A", text="話題の美容液", weight=50)
    CampaignVariant.objects.create(campaign=campaign, label="B", text="売上no.1!", weight=50)
    assert campaign_send(campaign_id=campaign.pk, now=NOON + datetime.timedelta(hours=1)) == 0
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.BLOCKED and "「No.1」" in campaign.blocked_reason
    assert not Notification.objects.filter(kind="campaign").exists()
    assert not CampaignRecipient.objects.exists()


def test_a_tracked_link_records_the_click_and_opens_the_product(client, product):
    bulk_members(1)
    campaign = make_campaign(Segment.objects.create(name="20代", age_bands=["20s"]), product=product)
    send(campaign)
    recipient = CampaignRecipient.objects.get()

    response = client.get(f"/m/{recipient.token}/")
    assert response.status_code == 302 and response["Location"] == product.get_absolute_url()
    recipient.refresh_from_db()
    first = recipient.clicked_at
    assert first is not None
    client.get(f"/m/{recipient.token}/?to=https://evil.example/")
    recipient.refresh_from_db()
    assert recipient.clicked_at == first
    assert CampaignClick.objects.filter(recipient=recipient).count() == 2
    assert campaign_results(campaign=campaign)[0].clicked == 1

    assert client.get("/m/unknown-token/")["Location"] == "/"


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_a_link_to_another_site_is_refused(client, link):
    bulk_members(1)
    campaign = make_campaign(Segment.objects.create(name="20代", age_bands=["20s"]))
    send(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(link_path=link)
    token = CampaignRecipient.objects.get().token

    response = client.get(f"/m/{token}/")
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_safe_page_of_the_shop_is_opened(client):
    bulk_members(1)
    campaign = make_campaign(Segment.objects.create(name="20代", age_bands=["20s"]), link_path="/features/summer/")
    send(campaign)
    token = CampaignRecipient.objects.get().token
    assert client.get(f"/m/{token}/")["Location"] == "/features/summer/"


def test_orders_within_7_days_after_the_first_click_are_attributed():
    users = bulk_members(4)
    template = Coupon.objects.create(code="AB500", name="500円引き", kind=Coupon.Kind.FIXED, value=500)
    campaign = make_campaign(Segment.objects.create(name="20代", age_bands=["20s"]), coupon=template)
    send(campaign)
    clicked_at = NOON + datetime.timedelta(hours=2)
    for user in users:
        recipient = CampaignRecipient.objects.get(campaign=campaign, user=user)
        campaign_click_record(recipient=recipient, url="/", now=clicked_at)
    within, late, before, cancelled = users
    used = make_order(within, subtotal=5000, paid_at=clicked_at + datetime.timedelta(days=6, hours=23))
    make_order(late, subtotal=5000, paid_at=clicked_at + datetime.timedelta(days=8))
    make_order(before, subtotal=5000, paid_at=clicked_at - datetime.timedelta(hours=1))
    make_order(cancelled, subtotal=5000, paid_at=clicked_at + datetime.timedelta(days=1), status="cancelled")
    CouponRedemption.objects.create(
        coupon=Coupon.objects.get(owner=within, issue_key=f"campaign:{campaign.pk}"),
        order=used,
        user=within,
        email=within.email,
        amount=500,
        status=CouponRedemption.Status.USED,
    )
    Notification.objects.filter(user=within).update(status=Status.SENT)

    [result] = campaign_results(campaign=campaign)
    assert (result.sent, result.delivered, result.clicked, result.orders, result.coupon_uses) == (4, 1, 4, 1, 1)


def test_ab_variants_split_by_weight_and_a_member_always_gets_the_same_one():
    bulk_members(400)
    campaign = make_campaign(Segment.objects.create(name="20代", age_bands=["20s"]))
    a = CampaignVariant.objects.create(campaign=campaign, label="A", subject="件名A", weight=70)
    b = CampaignVariant.objects.create(campaign=campaign, label="B", subject="件名B", weight=30)
    send(campaign)

    row_a, row_b, total = campaign_results(campaign=campaign)
    assert (row_a.label, row_b.label, total.is_total) == ("A", "B", True)
    assert 240 <= row_a.recipients <= 320 and row_a.recipients + row_b.recipients == 400
    assert total.sent == 400
    for recipient in CampaignRecipient.objects.select_related("notification", "variant")[:50]:
        assert recipient.variant == campaign_variant_for(campaign=campaign, variants=[a, b], user_id=recipient.user_id)
        assert recipient.notification.subject == f"件名{recipient.variant.label}"


def test_variant_shares_must_add_up_to_100():
    campaign = make_campaign(Segment.objects.create(name="x"))
    CampaignVariant.objects.create(campaign=campaign, label="A", weight=50)
    CampaignVariant.objects.create(campaign=campaign, label="B", weight=40)
    with pytest.raises(CampaignError, match="100"):
        campaign_schedule(campaign=campaign, now=NOON)


def test_the_scheduled_run_sends_due_campaigns_only():
    bulk_members(2)
    segment = Segment.objects.create(name="20代", age_bands=["20s"])
    due = make_campaign(segment, name="due")
    later = make_campaign(segment, name="later")
    campaign_schedule(campaign=due, send_at=NOON, now=NOON)
    campaign_schedule(campaign=later, send_at=NOON + datetime.timedelta(days=1), now=NOON)

    assert campaigns_send_due(now=NOON + datetime.timedelta(minutes=1)) == 2
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.status == Campaign.Status.SENT and later.status == Campaign.Status.SCHEDULED
    assert not Notification.objects.filter(source=f"campaign:{later.pk}").exists()


def test_the_command_runs_the_due_campaigns(capsys):
    bulk_members(1)
    campaign = make_campaign(Segment.objects.create(name="20代", age_bands=["20s"]))
    campaign_schedule(campaign=campaign, send_at=timezone.now() - datetime.timedelta(minutes=1))
    call_command("send_scheduled_campaigns")
    assert "1" in capsys.readouterr().out
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT


def test_segment_admin_shows_the_live_count_and_counts_unsaved_conditions(admin_client_verified):
    bulk_members(3)
    bulk_members(2, prefix="older", age_band="30s")
    segment = Segment.objects.create(name="20代", age_bands=["20s"])

    assert admin_client_verified.get("/admin/loyalty/segment/add/").status_code == 200
    assert admin_client_verified.get("/admin/loyalty/campaign/add/").status_code == 200
    assert admin_client_verified.get("/admin/loyalty/bannedword/").status_code == 200
    listing = admin_client_verified.get("/admin/loyalty/segment/")
    assert listing.status_code == 200 and "20代" in listing.content.decode()
    page = admin_client_verified.get(f"/admin/loyalty/segment/{segment.pk}/change/")
    assert page.status_code == 200 and 'data-segment-count="3"' in page.content.decode()

    count = admin_client_verified.post(
        "/admin/loyalty/segment/count/", {"name": "x", "age_bands": ["20s", "30s"]}, HTTP_HX_REQUEST="true"
    )
    assert count.status_code == 200 and 'data-segment-count="5"' in count.content.decode()


def test_campaign_admin_test_to_me_schedule_and_results(admin_client_verified, product):
    bulk_members(2)
    segment = Segment.objects.create(name="20代", age_bands=["20s"])
    add = admin_client_verified.post(
        "/admin/loyalty/campaign/add/",
        {
            "name": "夏",
            "segment": segment.pk,
            "channel": "email",
            "subject": "夏のセール",
            "text": "全品20%オフ",
            "product": product.pk,
            "link_path": "",
            "variants-TOTAL_FORMS": "0",
            "variants-INITIAL_FORMS": "0",
        },
    )
    assert add.status_code == 302, add.content.decode()[:2000]
    campaign = Campaign.objects.get()
    assert campaign.created_by == admin_client_verified.user

    def action(name):
        return admin_client_verified.post(
            "/admin/loyalty/campaign/", {"action": name, "_selected_action": [campaign.pk]}, follow=True
        )

    assert 'class="error"' in action("schedule").content.decode()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
    action("send_test_to_me")
    assert Notification.objects.filter(user=admin_client_verified.user, kind="campaign_test").count() == 1
    action("schedule")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED
    campaign_send(campaign_id=campaign.pk, now=campaign.send_at)

    page = admin_client_verified.get(f"/admin/loyalty/campaign/{campaign.pk}/change/")
    assert page.status_code == 200 and "data-campaign-results" in page.content.decode()


def test_campaign_admin_refuses_a_link_to_another_site(admin_client_verified):
    segment = Segment.objects.create(name="x")
    response = admin_client_verified.post(
        "/admin/loyalty/campaign/add/",
        {
            "name": "x",
            "segment": segment.pk,
            "channel": "email",
            "subject": "s",
            "text": "t",
            "link_path": "https://evil.example/",
            "variants-TOTAL_FORMS": "0",
            "variants-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200 and not Campaign.objects.exists()
