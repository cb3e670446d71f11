"""Account protection (F61): sign-ins are recorded, a new browser gets exactly one notice, a known one none; "sign out
other sessions" ends the others and keeps this one; staff see networks with unusual sign-in patterns."""

import datetime

import pytest
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shop.accounts import privacy_services, signin_services
from shop.accounts.models import KnownBrowser, SignInEvent
from shop.notifications.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://shop.example.jp"


def _member(email="hanako@example.jp", *, baseline: bool = True, **fields):
    """A member who has signed in before from their usual phone (so the shop knows one browser of theirs)."""
    user = UserFactory(email=email, password=PASSWORD, **fields)
    privacy_services.legal_accept_current(user=user)
    if baseline:
        signin_services.sign_in_record_success(user=user, ip="192.0.2.50", user_agent=IPHONE_SAFARI)
    return user


def _browser(ip="203.0.113.7", user_agent=ANDROID_CHROME) -> Client:
    return Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=user_agent)


def _sign_in(client, email="hanako@example.jp", password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def _notices(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind="new_sign_in").order_by("id"))


def test_sign_in_from_a_new_browser_sends_exactly_one_notice_with_time_device_and_place():
    user = _member()
    browser = _browser()

    response = _sign_in(browser)

    assert response.status_code == 302
    notices = _notices(user)
    assert len(notices) == 1  # e-mail only: the member has not linked LINE
    body = notices[0].body_text
    assert "Chrome on Android" in body
    assert "203.0.113.7" in body and "203.0.113.0/24" in body
    assert str(signin_services.place_of("203.0.113.7")) in body
    assert "https://shop.example.jp" + reverse("usersessions_list") in body
    assert "https://shop.example.jp" + reverse("account_change_password") in body
    assert notices[0].is_marketing is False
    event = SignInEvent.objects.filter(user=user, success=True).first()
    assert (event.known_device, event.notice_sent, event.device_label) == (False, True, "Chrome on Android")
    assert event.network == "203.0.113.0/24"
    cookie = response.cookies[signin_services.DEVICE_COOKIE]
    assert cookie["httponly"] and cookie.value
    assert KnownBrowser.objects.filter(user=user).count() == 2


def test_the_same_browser_again_sends_no_notice_and_a_different_one_does():
    user = _member()
    browser = _browser()
    _sign_in(browser)
    browser.post(reverse("account_logout"))

    response = _sign_in(browser)

    assert response.status_code == 302
    assert len(_notices(user)) == 1
    latest = SignInEvent.objects.filter(user=user, success=True).first()
    assert latest.known_device is True and latest.notice_sent is False
    assert KnownBrowser.objects.filter(user=user).count() == 2

    _sign_in(_browser(ip="198.51.100.20", user_agent=IPHONE_SAFARI))
    notices = _notices(user)
    assert len(notices) == 2
    assert "Safari on iPhone" in notices[1].body_text


def test_a_browser_known_for_one_member_is_new_for_another():
    hanako, taro = _member(), _member(email="taro@example.jp")
    browser = _browser()
    _sign_in(browser)
    browser.post(reverse("account_logout"))

    _sign_in(browser, email="taro@example.jp")

    assert len(_notices(hanako)) == 1 and len(_notices(taro)) == 1
    # One browser keeps one id: now known for both.
    request = HttpRequest()
    request.COOKIES = {name: morsel.value for name, morsel in browser.cookies.items()}
    device_id = request.get_signed_cookie(signin_services.DEVICE_COOKIE, salt=signin_services.DEVICE_COOKIE_SALT)
    assert {known.user for known in KnownBrowser.objects.filter(device_id=device_id)} == {hanako, taro}


def test_the_first_browser_of_a_member_is_the_baseline_and_sends_no_notice():
    user = _member(baseline=False)
    browser = _browser()
    _sign_in(browser)
    assert not _notices(user)
    assert SignInEvent.objects.get(user=user).known_device is False
    browser.post(reverse("account_logout"))

    _sign_in(_browser(ip="198.51.100.20", user_agent=IPHONE_SAFARI))

    assert len(_notices(user)) == 1


def test_the_browser_an_account_is_made_in_sends_no_notice():
    browser = _browser()
    response = browser.post(
        reverse("account_signup"),
        {"email": "new@example.jp", "password1": "a-long-enough-pass-1", "password2": "a-long-enough-pass-1"},
    )
    assert response.status_code == 302
    assert SignInEvent.objects.filter(email="new@example.jp", success=True).exists()
    assert not Notification.objects.filter(kind="new_sign_in").exists()
    assert signin_services.DEVICE_COOKIE in response.cookies


def test_a_failed_sign_in_is_recorded_and_sends_nothing():
    user = _member()
    response = _sign_in(_browser(ip="198.51.100.44"), password="wrong-password")

    assert response.status_code == 200
    event = SignInEvent.objects.get(success=False)
    assert (event.email, event.user, event.ip, event.network) == ("hanako@example.jp", user, "198.51.100.44",
                                                                 "198.51.100.0/24")  # fmt: skip
    assert not Notification.objects.exists()
    assert signin_services.DEVICE_COOKIE not in response.cookies


def test_a_failed_sign_in_for_an_unknown_address_is_recorded_without_a_user():
    _sign_in(_browser(), email="nobody@example.jp", password="whatever-it-is")
    event = SignInEvent.objects.get(success=False)
    assert event.user is None and event.email == "nobody@example.jp"


def test_programmatic_logins_are_not_sign_ins(client):
    user = _member(baseline=False)
    client.force_login(user)
    assert not SignInEvent.objects.exists()
    assert not _notices(user)


def test_a_notice_cannot_be_switched_off():
    from shop.notifications.models import Channel, Preference

    user = _member()
    Preference.objects.create(user=user, group="account", channel=Channel.EMAIL, enabled=False)
    _sign_in(_browser())
    [notice] = _notices(user)
    assert notice.status == Notification.Status.PENDING


def test_sign_out_other_sessions_ends_them_and_keeps_the_current_one():
    _member()
    here, elsewhere = _browser(), _browser(ip="198.51.100.9", user_agent=IPHONE_SAFARI)
    _sign_in(here)
    _sign_in(elsewhere)
    security = reverse("accounts:security")
    assert elsewhere.get(security).status_code == 200

    response = here.post(reverse("usersessions_list"))

    assert response.status_code == 302
    assert here.get(security).status_code == 200
    signed_out = elsewhere.get(security)
    assert signed_out.status_code == 302 and reverse("account_login") in signed_out["Location"]


def test_staff_see_networks_with_many_failures_and_many_accounts(admin_client_verified):
    now = timezone.now()
    for n in range(6):
        signin_services.sign_in_record_failure(
            email=f"victim{n}@example.jp", ip=f"198.51.100.{n + 1}", user_agent=ANDROID_CHROME, now=now
        )
    signin_services.sign_in_record_failure(email="a@example.jp", ip="192.0.2.1", user_agent="", now=now)
    for n in range(3):
        UserFactory(email=f"farm{n}@example.jp", signup_ip=f"203.0.113.{n + 10}")
    old = now - datetime.timedelta(hours=3)
    for _n in range(6):
        signin_services.sign_in_record_failure(email="x@example.jp", ip="192.0.2.200", user_agent="", now=old)

    response = admin_client_verified.get(reverse("admin:accounts_signinevent_unusual"))

    assert response.status_code == 200
    sections = {section["code"]: section["rows"] for section in response.context["sections"]}
    assert [(row.network, row.count, row.accounts) for row in sections["failing_hour"]] == [("198.51.100.0/24", 6, 6)]
    assert [row.network for row in sections["many_signups"]] == ["203.0.113.0/24"]
    assert 'data-network="198.51.100.0/24"' in response.content.decode()

    changelist = admin_client_verified.get(
        reverse("admin:accounts_signinevent_changelist"), {"network": "198.51.100.0/24", "success__exact": "0"}
    )
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count == 6


def test_staff_without_permission_cannot_open_the_unusual_page(client, otp_login):
    staff = UserFactory(email="clerk@example.jp", is_staff=True)
    otp_login(client, staff)
    response = client.get(reverse("admin:accounts_signinevent_unusual"))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("ip", "network"),
    [("203.0.113.77", "203.0.113.0/24"), ("2001:db8:1234:5678::1", "2001:db8:1234::/48"), ("", "")],
)
def test_network_of(ip, network):
    assert signin_services.network_of(ip or None) == network


def test_place_is_honest_about_public_addresses():
    assert signin_services.place_of("8.8.8.8") == signin_services.PLACE_UNAVAILABLE
    assert signin_services.place_of("192.168.1.5") != signin_services.PLACE_UNAVAILABLE


def test_sign_ins_are_exported_and_forgotten_with_the_account():
    from shop.accounts.privacy_selectors import personal_data_collect
    from shop.accounts.privacy_services import account_delete

    user = _member()
    _sign_in(_browser(), password="wrong-password")
    assert len(personal_data_collect(user=user)["sign_ins"]) == 2

    account_delete(user=user)

    assert not SignInEvent.objects.exists() and not KnownBrowser.objects.exists()
