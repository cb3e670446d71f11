"""The analytics tag, the event calendar and the incident record."""

import datetime
import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from shop.accounts.models import PersonalDataAccess
from shop.accounts.privacy_selectors import ANALYTICS_COOKIE
from shop.dashboard import services
from shop.dashboard.calendar_presets import nth_weekday, presets_coming_year, presets_for
from shop.dashboard.models import CalendarEvent, Incident, IncidentNotice
from shop.notifications.models import Notification
from tests.factories import UserFactory

from .conftest import ROLES

pytestmark = pytest.mark.django_db

HOME = "/"


# --- Analytics tag ----------------------------------------------------------------------------------------------------


def test_the_tag_is_served_only_with_consent_and_only_when_set(client, settings):
    settings.ANALYTICS_TAG_ID = ""
    client.cookies[ANALYTICS_COOKIE] = "granted"
    assert 'id="analytics-tag"' not in client.get(HOME).content.decode()

    settings.ANALYTICS_TAG_ID = "G-TEST123"
    page = client.get(HOME).content.decode()
    assert 'data-tag-id="G-TEST123"' in page and "dashboard/analytics" in page
    assert "<script>" not in page  # a static file, no inline script

    client.cookies[ANALYTICS_COOKIE] = "denied"
    assert "G-TEST123" not in client.get(HOME).content.decode()
    del client.cookies[ANALYTICS_COOKIE]
    assert "G-TEST123" not in client.get(HOME).content.decode()  # no choice yet: the banner, no tag


def test_a_signed_in_members_stored_choice_wins_and_admin_pages_never_have_the_tag(
    client, admin_client_verified, settings
):
    from shop.accounts.privacy_services import consent_record, legal_accept_current

    settings.ANALYTICS_TAG_ID = "G-TEST123"
    member = UserFactory(email="member@example.jp")
    legal_accept_current(user=member)
    consent_record(purpose="analytics", granted=True, source="test", user=member)
    client.force_login(member)
    assert "G-TEST123" in client.get(HOME).content.decode()

    admin_client_verified.cookies[ANALYTICS_COOKIE] = "granted"
    for path in (reverse("admin:index"), reverse("admin:dashboard_salesreport_changelist")):
        assert "G-TEST123" not in admin_client_verified.get(path).content.decode()


def _policy_with(env: dict) -> dict:
    code = "import django, json; django.setup(); from django.conf import settings; print(json.dumps(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "shop.settings.test", **env},
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_policy_allows_google_only_when_the_tag_is_set():
    without = _policy_with({"ANALYTICS_TAG_ID": ""})
    assert not any("google" in source for sources in without.values() for source in sources)
    with_tag = _policy_with({"ANALYTICS_TAG_ID": "G-TEST123"})
    assert "https://www.googletagmanager.com" in with_tag["script-src"]
    assert "https://*.google-analytics.com" in with_tag["connect-src"]
    assert "'unsafe-inline'" not in with_tag["script-src"]


# --- Calendar -----------------------------------------------------------------------------------------------------------


def test_the_migration_prefilled_the_coming_year():
    keys = set(CalendarEvent.objects.exclude(preset_key="").values_list("preset_key", flat=True))
    from django.utils import timezone

    expected = {preset.key for preset in presets_coming_year(timezone.localdate())}
    assert expected and expected <= keys
    titles = set(CalendarEvent.objects.values_list("title", flat=True))
    assert {
        "バレンタインデー",
        "ホワイトデー",
        "母の日",
        "父の日",
        "お中元",
        "ブラックフライデー",
        "クリスマス",
        "福袋",
    } <= titles


def test_preset_dates_are_computed():
    presets = {preset.key: preset for preset in presets_for(2026)}
    assert presets["valentine-2026"].ends_on == datetime.date(2026, 2, 14)
    assert presets["white-day-2026"].ends_on == datetime.date(2026, 3, 14)
    assert presets["mothers-day-2026"].ends_on == datetime.date(2026, 5, 10)  # second Sunday of May 2026
    assert presets["fathers-day-2026"].ends_on == datetime.date(2026, 6, 21)  # third Sunday of June 2026
    assert presets["black-friday-2026"].starts_on == datetime.date(2026, 11, 27)
    assert nth_weekday(2025, 5, 6, 2) == datetime.date(2025, 5, 11)
    assert {p.starts_on for p in presets_for(2025) if p.key.startswith("black-friday")} == {datetime.date(2025, 11, 28)}


def test_prefill_adds_a_year_once():
    start, end = datetime.date(2030, 1, 1), datetime.date(2030, 12, 31)
    # Ten events of 2030 and 年末年始 2031, which starts on 29 December 2030.
    assert services.calendar_prefill(start=start, end=end) == 11
    assert services.calendar_prefill(start=start, end=end) == 0


def test_month_view_and_who_may_edit(client, staff):
    services.calendar_prefill(start=datetime.date(2030, 1, 1), end=datetime.date(2030, 12, 31))
    staff(ROLES["support"])
    page = client.get(reverse("admin:dashboard_calendarevent_month") + "?month=2030-05")
    assert page.status_code == 200
    assert "母の日" in page.content.decode() and "バレンタインデー" not in page.content.decode()
    assert client.get(reverse("admin:dashboard_calendarevent_add")).status_code == 403
    bad = client.get(reverse("admin:dashboard_calendarevent_month") + "?month=2030-13")
    assert bad.status_code == 200 and "YYYY-MM" in bad.content.decode()
    staff(ROLES["marketing"], email="mk@staff.example.jp")
    assert client.get(reverse("admin:dashboard_calendarevent_add")).status_code == 200


# --- Incidents ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def incident():
    incident = Incident.objects.create(
        title="配送ラベルの誤送信",
        discovered_at=datetime.datetime(2025, 6, 1, 10, tzinfo=datetime.UTC),
        customer_notice="6月1日、お客様のお名前とご住所が記載された配送ラベルを誤って別のお客様に送付しました。",
    )
    customers = [UserFactory(email=f"affected{n}@example.jp") for n in range(3)]
    incident.affected_customers.set(customers)
    return incident


def test_checklist_records_who_and_when(incident):
    manager = UserFactory(email="manager@example.jp", is_staff=True)
    changed = services.incident_steps_update(
        incident=incident, done={"discovery": True, "containment": True}, actor=manager
    )
    assert changed == ["discovery", "containment"]
    incident.refresh_from_db()
    assert incident.discovery_done_by == manager and incident.discovery_done_at is not None
    assert incident.steps_done == 2
    assert services.incident_steps_update(incident=incident, done={"discovery": True}, actor=None) == []
    services.incident_steps_update(incident=incident, done={"containment": False}, actor=manager)
    incident.refresh_from_db()
    assert incident.containment_done_at is None and incident.steps_done == 1


def test_notices_go_through_the_outbox_once(incident):
    manager = UserFactory(email="manager@example.jp", is_staff=True)
    assert services.incident_notify_affected(incident_id=incident.pk, actor=manager) == 3
    assert services.incident_notify_affected(incident_id=incident.pk, actor=manager) == 0
    notices = IncidentNotice.objects.filter(incident=incident)
    assert notices.count() == 3 and set(notices.values_list("channel", flat=True)) == {"email"}
    message = Notification.objects.get(kind="incident_notice", recipient="affected0@example.jp")
    assert "配送ラベル" in message.body_text and message.subject


def test_incident_admin_is_for_the_shop_manager(client, staff, incident):
    staff(ROLES["marketing"])
    assert client.get(reverse("admin:dashboard_incident_change", args=[incident.pk])).status_code == 403
    manager = staff(ROLES["manager"], email="boss@staff.example.jp")
    changelist = client.get(reverse("admin:dashboard_incident_changelist"))
    assert changelist.status_code == 200 and "0/6" in changelist.content.decode()
    response = client.post(
        reverse("admin:dashboard_incident_changelist"),
        {"action": "send_notices", "_selected_action": [incident.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert IncidentNotice.objects.filter(incident=incident, sent_by=manager).count() == 3
    page = client.get(reverse("admin:dashboard_incident_change", args=[incident.pk]))
    assert page.status_code == 200 and "affected0@example.jp" in page.content.decode()
    assert PersonalDataAccess.objects.filter(staff=manager, path__contains="incident").count() == 3
