"""Two-factor (django-otp): the admin requires a verified device, codes work once, guessing is throttled, shoppers
turn TOTP on and off on /account/security/, signing in asks for the code, and the manage.py commands."""

import io
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import LazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from shop.accounts import otp, privacy_services
from tests.conftest import otp_device_for, totp_code
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
VERIFY = "/account/security/verify/"


def accepted(user):
    """The privacy policy and terms in force are accepted, so only two-factor stands between sign-in and pages."""
    privacy_services.legal_accept_current(user=user)
    return user


@pytest.fixture
def superuser():
    return accepted(UserFactory(email="boss@example.jp", is_staff=True, is_superuser=True))


@pytest.fixture
def shopper():
    return accepted(UserFactory(email="hanako@example.jp"))


def admin_urls() -> list[str]:
    product = ProductFactory()
    return [
        reverse("admin:index"),
        reverse("admin:catalog_product_changelist"),
        reverse("admin:catalog_product_change", args=[product.pk]),
        reverse("admin:accounts_user_changelist"),
    ]


def sign_in(client, user) -> None:
    """Through allauth's sign-in form, as a person does."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]


def enable_two_factor(user) -> tuple[TOTPDevice, list[str]]:
    device = otp.totp_device_create_confirmed(user=user)
    return device, otp.backup_codes_regenerate(user=user)


def verify(client, token: str, next_url: str = "/"):
    return client.post(VERIFY, {"token": token, "next": next_url})


def rewind_throttle(device, *, seconds: int = 3600) -> None:
    """As if the wait after the last wrong code had passed."""
    device.refresh_from_db()
    device.throttling_failure_timestamp -= timedelta(seconds=seconds)
    device.save(update_fields=["throttling_failure_timestamp"])


# --- The admin ------------------------------------------------------------------------------------------------------


def test_no_admin_page_without_a_verified_device_even_for_a_superuser(client, superuser):
    urls = admin_urls()
    client.force_login(superuser)  # password only, no device at all
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), url

    # The admin's own sign-in page asks for the one-time code.
    login_page = client.get(reverse("admin:login")).content.decode()
    assert 'name="otp_token"' in login_page


def test_a_device_that_is_not_verified_in_this_session_is_not_enough(client, superuser):
    urls = admin_urls()
    otp_device_for(superuser)
    client.force_login(superuser)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(VERIFY), url


def test_admin_pages_open_with_a_verified_device(client, superuser, otp_login):
    urls = admin_urls()
    otp_login(client, superuser)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_an_unconfirmed_device_does_not_open_the_admin(client, superuser):
    device = TOTPDevice.objects.create(user=superuser, name="pending", confirmed=False)
    client.force_login(superuser)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert client.get(reverse("admin:index")).status_code == 302


def test_admin_login_form_with_password_device_and_code(client, superuser):
    device = otp_device_for(superuser)
    url = reverse("admin:login")
    data = {"username": superuser.email, "password": PASSWORD, "next": reverse("admin:index")}
    wrong = client.post(url, {**data, "otp_device": device.persistent_id, "otp_token": "000000"})
    assert wrong.status_code == 200 and not wrong.wsgi_request.user.is_authenticated

    rewind_throttle(device)
    response = client.post(url, {**data, "otp_device": device.persistent_id, "otp_token": totp_code(device)})
    assert response.status_code == 302 and response.url == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


# --- Codes work once; guessing is throttled -------------------------------------------------------------------------


def test_throttling_is_switched_on():
    assert settings.OTP_TOTP_THROTTLE_FACTOR > 0
    assert settings.OTP_STATIC_THROTTLE_FACTOR > 0


def test_a_totp_code_is_accepted_once(client, shopper):
    device, _codes = enable_two_factor(shopper)
    code = totp_code(device)
    assert otp.two_factor_verify(user=shopper, token=code) == device
    with pytest.raises(otp.TwoFactorError) as error:
        otp.two_factor_verify(user=shopper, token=code)
    assert error.value.locked_until is None  # refused because it was used, not because of throttling

    # The same through the pages: sign in, verify, sign out, sign in again with the same code.
    client.force_login(shopper)
    rewind_throttle(device)
    device.last_t = -1
    device.save(update_fields=["last_t"])
    assert verify(client, code).status_code == 302
    client.logout()
    client.force_login(shopper)
    response = verify(client, code)
    assert response.status_code == 400
    assert "already been used" in response.content.decode() or "使用済み" in response.content.decode()
    assert client.get("/").status_code == 302


def test_an_older_code_than_the_last_one_used_is_refused(shopper):
    device, _codes = enable_two_factor(shopper)
    earlier = f"{totp(device.bin_key, drift=-1):06d}"
    assert otp.two_factor_verify(user=shopper, token=totp_code(device))
    with pytest.raises(otp.TwoFactorError):
        otp.two_factor_verify(user=shopper, token=earlier)


def test_a_backup_code_works_once(client, shopper):
    _device, codes = enable_two_factor(shopper)
    assert len(codes) == 10 and len(set(codes)) == 10
    client.force_login(shopper)
    assert verify(client, codes[0].upper()).status_code == 302  # typed in capitals: still the same code
    assert not StaticToken.objects.filter(token=codes[0]).exists()
    assert otp.backup_codes_remaining(user=shopper) == 9

    client.logout()
    client.force_login(shopper)
    response = verify(client, codes[0])
    assert response.status_code == 400
    assert client.get("/").status_code == 302
    rewind_throttle(StaticDevice.objects.get(user=shopper))  # the refused code counted as a wrong guess
    assert verify(client, codes[1]).status_code == 302


def test_full_width_digits_and_spaces_are_understood(client, shopper):
    device, _codes = enable_two_factor(shopper)
    code = totp_code(device)
    typed = " ".join([code[:3], code[3:]]).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    client.force_login(shopper)
    assert verify(client, typed).status_code == 302


def test_wrong_codes_are_throttled_until_the_delay_passes(client, shopper):
    device, codes = enable_two_factor(shopper)
    client.force_login(shopper)
    for _ in range(3):
        assert verify(client, "123456" if totp_code(device) != "123456" else "654321").status_code == 400
        rewind_throttle(device)
    device.refresh_from_db()
    assert device.throttling_failure_count == 3
    device.throttling_failure_timestamp = timezone.now()
    device.save(update_fields=["throttling_failure_timestamp"])

    # The right code is refused while the wait (factor x 2^(3-1) s) lasts, with a message saying so.
    response = verify(client, totp_code(device))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Too many wrong codes" in page or "間違" in page
    assert client.get("/").status_code == 302

    rewind_throttle(device, seconds=60)
    assert verify(client, totp_code(device)).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_wrong_backup_codes_are_throttled_too(shopper):
    _device, codes = enable_two_factor(shopper)
    with pytest.raises(otp.TwoFactorError):
        otp.two_factor_verify(user=shopper, token="notacode")
    with pytest.raises(otp.TwoFactorError) as error:
        otp.two_factor_verify(user=shopper, token=codes[0])
    assert error.value.locked_until is not None and error.value.wait_seconds >= 1
    assert StaticToken.objects.filter(token=codes[0]).exists()  # not used up by the refused attempt
    rewind_throttle(StaticDevice.objects.get(user=shopper))
    assert otp.two_factor_verify(user=shopper, token=codes[0])


# --- Shoppers turn it on and off ------------------------------------------------------------------------------------


def test_security_page_links_password_email_sessions_and_two_factor(client, shopper):
    client.force_login(shopper)
    response = client.get(reverse("accounts:security"))
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("account_change_password") in page and reverse("account_email") in page
    assert reverse("accounts:security_totp_setup") in page
    assert 'data-two-factor="off"' in page
    assert 'aria-current="page"' in page  # the account nav, on the security tab
    assert client.get(reverse("accounts:security")).status_code == 200

    client.logout()
    response = client.get(reverse("accounts:security"))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


def test_enable_shows_a_qr_code_and_needs_a_correct_code(client, shopper):
    client.force_login(shopper)
    url = reverse("accounts:security_totp_setup")
    first = client.get(url)
    assert first.status_code == 200
    page = first.content.decode()
    device = TOTPDevice.objects.get(user=shopper)
    assert not device.confirmed
    assert "<svg" in page and "<path" in page and "<?xml" not in page  # inline, no image service
    assert "<script" not in page.split("<main>")[1]
    secret = otp.totp_secret(device=device)
    assert secret in page
    assert client.get(url).content.decode().count(secret) == 1  # a reload keeps the same key
    assert TOTPDevice.objects.filter(user=shopper).count() == 1

    wrong = client.post(url, {"token": "000000" if totp_code(device) != "000000" else "111111"})
    assert wrong.status_code == 400
    assert "field-error" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed and not otp.two_factor_enabled(user=shopper)

    rewind_throttle(device)
    done = client.post(url, {"token": totp_code(device)})
    assert done.status_code == 200
    codes = re.findall(r"<code data-backup-code>([a-z2-7]+)</code>", done.content.decode())
    assert len(codes) == 10
    assert done["Cache-Control"] == "no-store"
    device.refresh_from_db()
    assert device.confirmed
    assert sorted(codes) == sorted(otp.backup_codes_list(user=shopper))
    # This session is verified already; the security page now says "on".
    assert 'data-two-factor="on"' in client.get(reverse("accounts:security")).content.decode()
    assert client.get(url).status_code == 302  # no second enrolment while one is on


def test_regenerating_backup_codes_replaces_the_old_ones(client, shopper, otp_login):
    _device, old = enable_two_factor(shopper)
    otp_login(client, shopper)
    response = client.post(reverse("accounts:security_backup_codes"))
    new = re.findall(r"<code data-backup-code>([a-z2-7]+)</code>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    with pytest.raises(otp.TwoFactorError):
        otp.two_factor_verify(user=shopper, token=old[0])
    rewind_throttle(StaticDevice.objects.get(user=shopper))
    assert otp.two_factor_verify(user=shopper, token=new[0])


def test_disable_needs_the_password_or_a_code(client, shopper, otp_login):
    enable_two_factor(shopper)
    otp_login(client, shopper)
    url = reverse("accounts:security_disable")
    assert client.get(url).status_code == 200
    wrong = client.post(url, {"secret": "not-my-password"})
    assert wrong.status_code == 400
    assert otp.two_factor_enabled(user=shopper)

    response = client.post(url, {"secret": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("accounts:security")
    assert not TOTPDevice.objects.filter(user=shopper).exists()
    assert not StaticDevice.objects.filter(user=shopper).exists()
    assert DEVICE_ID_SESSION_KEY not in client.session
    client.logout()
    sign_in(client, shopper)
    assert client.get(reverse("accounts:security")).status_code == 200  # no code asked any more


def test_disable_with_a_backup_code(client, shopper, otp_login):
    _device, codes = enable_two_factor(shopper)
    otp_login(client, shopper)
    response = client.post(reverse("accounts:security_disable"), {"secret": codes[3]})
    assert response.status_code == 302
    assert not otp.two_factor_enabled(user=shopper)


# --- Signing in with two-factor -------------------------------------------------------------------------------------


def test_signing_in_asks_for_the_code_before_anything_else(client, shopper):
    device, _codes = enable_two_factor(shopper)
    sign_in(client, shopper)
    for url in ("/", reverse("accounts:security"), reverse("orders:order_list"), reverse("admin:index")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url == f"{VERIFY}?next={url.replace('/', '%2F')}", url
    assert client.post(reverse("orders:cart")).url == VERIFY  # a form posted before verifying is not replayed

    # What stays open: the verify page itself, health checks, the language switch and signing out.
    page = client.get(f"{VERIFY}?next=/account/security/")
    assert page.status_code == 200 and 'name="token"' in page.content.decode()
    assert client.get(reverse("core:healthz")).status_code == 200

    response = verify(client, totp_code(device), next_url="/account/security/")
    assert response.status_code == 302 and response.url == "/account/security/"
    assert client.get(reverse("accounts:security")).status_code == 200
    assert client.get("/").status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302  # a shopper, not staff: the admin stays closed


def test_the_code_comes_before_accepting_a_new_privacy_policy(client):
    """Two gates after sign-in: the code first (the verify page must stay reachable), then the policy page."""
    user = UserFactory(email="new-policy@example.jp")  # has not accepted the policy in force
    device, _codes = enable_two_factor(user)
    sign_in(client, user)
    assert client.get("/").url.startswith(VERIFY)
    page = client.get(f"{VERIFY}?next=/")
    assert page.status_code == 200 and 'name="token"' in page.content.decode()
    assert verify(client, totp_code(device)).status_code == 302
    assert client.get("/").url.startswith(reverse("accounts:privacy_accept"))


def test_verify_ignores_a_next_url_on_another_site(client, shopper):
    device, _codes = enable_two_factor(shopper)
    client.force_login(shopper)
    response = verify(client, totp_code(device), next_url="https://evil.example.com/")
    assert response.status_code == 302 and response.url == "/"


def test_sign_out_works_before_verifying(client, shopper):
    enable_two_factor(shopper)
    sign_in(client, shopper)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert not client.get("/").wsgi_request.user.is_authenticated


def test_users_without_two_factor_are_not_asked(client, shopper):
    sign_in(client, shopper)
    assert client.get("/").status_code == 200
    assert client.get(VERIFY).status_code == 302


@pytest.mark.parametrize("signed_in", [True, False])
def test_pages_get_the_user_itself_not_its_lazy_wrappers(client, shopper, signed_in):
    """TwoFactorRequiredMiddleware reads request.user and hands on the user behind Django's and django_otp's lazy
    wrappers: the same user, with django_otp's is_verified, without a proxy on every attribute read."""
    if signed_in:
        sign_in(client, shopper)
    user = client.get("/").wsgi_request.user
    assert not isinstance(user, LazyObject)
    assert user.is_authenticated is signed_in
    assert user.is_verified() is False
    if signed_in:
        assert user == shopper


# --- Commands -------------------------------------------------------------------------------------------------------


def test_otp_enrol_staff_creates_a_confirmed_device_and_backup_codes(client, superuser):
    out = io.StringIO()
    call_command("otp_enrol_staff", superuser.email, stdout=out)
    output = out.getvalue()
    device = TOTPDevice.objects.get(user=superuser)
    assert device.confirmed
    assert device.config_url in output and output.count("otpauth://") == 1
    assert "█" in output or "▀" in output or "▄" in output  # the QR code drawn for the terminal
    codes = otp.backup_codes_list(user=superuser)
    assert len(codes) == 10 and all(code in output for code in codes)

    response = client.post(
        reverse("admin:login"),
        {
            "username": superuser.email,
            "password": PASSWORD,
            "otp_device": device.persistent_id,
            "otp_token": totp_code(device),
            "next": reverse("admin:index"),
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200

    with pytest.raises(CommandError, match="already has"):
        call_command("otp_enrol_staff", superuser.email, stdout=io.StringIO())
    call_command("otp_enrol_staff", superuser.email, "--replace", stdout=io.StringIO())
    assert TOTPDevice.objects.filter(user=superuser).count() == 1
    assert TOTPDevice.objects.get(user=superuser).key != device.key


def test_otp_enrol_staff_refuses_unknown_and_non_staff_emails(shopper):
    with pytest.raises(CommandError, match="No user"):
        call_command("otp_enrol_staff", "nobody@example.jp", stdout=io.StringIO())
    with pytest.raises(CommandError, match="not staff"):
        call_command("otp_enrol_staff", shopper.email, stdout=io.StringIO())
    assert not TOTPDevice.objects.exists()


def test_otp_reset_deletes_the_devices(superuser, shopper):
    enable_two_factor(superuser)
    enable_two_factor(shopper)
    with pytest.raises(CommandError, match="No user"):
        call_command("otp_reset", "nobody@example.jp", "--yes", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--yes"):
        call_command("otp_reset", superuser.email, stdout=io.StringIO())  # stdin is not a terminal under pytest
    assert otp.two_factor_enabled(user=superuser)

    out = io.StringIO()
    call_command("otp_reset", superuser.email.upper(), "--yes", stdout=out)
    assert "Deleted 2" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=superuser).exists()
    assert not StaticDevice.objects.filter(user=superuser).exists()
    assert otp.two_factor_enabled(user=shopper)  # nobody else's


# --- Demo data ------------------------------------------------------------------------------------------------------


def test_demo_staff_login_gets_the_fixed_authenticator_and_enough_backup_codes():
    from shop.catalog import demo_data

    out = io.StringIO()
    call_command("seed_demo", products=0, stdout=out)
    staff = UserFactory(email="staff@example.jp")
    device = TOTPDevice.objects.get(user=staff, confirmed=True)
    assert otp.totp_secret(device=device) == demo_data.DEMO_STAFF_TOTP_SECRET
    codes = otp.backup_codes_list(user=staff)
    assert len(codes) == 10
    assert device.config_url in out.getvalue() and all(code in out.getvalue() for code in codes)

    # Again: nothing changes while at least five codes are left ...
    url, again = demo_data.demo_staff_two_factor_ensure(user=staff)
    assert url == device.config_url and again == codes
    assert TOTPDevice.objects.get(user=staff).pk == device.pk
    for code in codes[:6]:
        assert otp.two_factor_verify(user=staff, token=code)
    # ... and fewer than five are replaced by ten new ones.
    _url, fresh = demo_data.demo_staff_two_factor_ensure(user=staff)
    assert len(fresh) == 10 and not set(fresh) & set(codes)
