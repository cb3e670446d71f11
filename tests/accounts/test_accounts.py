"""Accounts: sign-up with e-mail verification, sign-in/out, the failed sign-in limit, password reset without account
enumeration, LINE button, phishing notice, profile and addresses."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from shop.accounts import privacy_services, selectors
from shop.accounts.models import Address
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
PHISHING_MSGID = "We never ask for your password by e-mail or LINE."
LINE_APPS = {"line": {"SCOPE": ["profile", "openid", "email"], "APPS": [{"client_id": "1650000000", "secret": "s"}]}}


def _ja(msgid: str) -> str:
    """The text as the Japanese page shows it (the msgid itself until the lead adds the translation)."""
    with translation.override("ja"):
        return gettext(msgid)


def _member(**fields):
    """A user who has accepted the current privacy policy and terms (as sign-up does), so pages are not gated."""
    user = UserFactory(**fields)
    privacy_services.legal_accept_current(user=user)
    return user


def _login(client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def _address_data(**overrides) -> dict:
    data = {
        "name": "山田 花子",
        "postal_code": "１５０ー０００１",
        "prefecture": "東京都",
        "city": "渋谷区",
        "street": "神宮前1-2-3",
        "building": "",
        "phone": "090-1234-5678",
    }
    return data | overrides


# --- sign-up, verification, sign-in ---------------------------------------------------------------------------


def test_signup_sends_verification_mail_and_the_link_verifies(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "hanako@example.jp", "password1": "Sakura-2025-spring", "password2": "Sakura-2025-spring"},
    )
    assert response.status_code == 302
    user = EmailAddress.objects.get(email="hanako@example.jp").user
    assert not selectors.user_email_verified(user=user)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["hanako@example.jp"]
    assert _ja(PHISHING_MSGID) in message.body
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", message.body).group(1)

    # Optional verification: the new account is signed in and the account area asks to confirm the address.
    page = client.get(reverse("accounts:profile"))
    assert page.context["unverified_email"] == "hanako@example.jp"
    assert reverse("account_email") in page.content.decode()

    assert client.get(link).status_code == 200
    response = client.post(link)
    assert response.status_code == 302
    assert selectors.user_email_verified(user=user)
    assert client.get(reverse("accounts:profile")).context["unverified_email"] == ""


def test_sign_in_and_sign_out(client):
    user = _member(email="taro@example.jp")
    response = _login(client, "taro@example.jp", PASSWORD)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk

    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_wrong_password_is_refused(client):
    _member(email="taro@example.jp")
    response = _login(client, "taro@example.jp", "not-the-password")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_sixth_sign_in_within_five_minutes_is_refused_even_with_the_right_password(client):
    _member(email="taro@example.jp")
    for _attempt in range(5):
        response = _login(client, "taro@example.jp", "not-the-password")
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session

    response = _login(client, "taro@example.jp", PASSWORD)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert _ja("Too many failed login attempts. Try again later.") in response.content.decode()


def test_successful_sign_ins_do_not_count_towards_the_limit(client):
    _member(email="taro@example.jp")
    for _attempt in range(6):
        assert _login(client, "taro@example.jp", PASSWORD).status_code == 302
        client.post(reverse("account_logout"))
    assert _login(client, "taro@example.jp", PASSWORD).status_code == 302


def _reset(client, email: str):
    return client.post(reverse("account_reset_password"), {"email": email}, follow=True)


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"', "", html)


def test_password_reset_does_not_reveal_whether_an_account_exists(client):
    _member(email="taro@example.jp")

    known = _reset(client, "taro@example.jp")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["taro@example.jp"]
    assert _ja(PHISHING_MSGID) in mail.outbox[0].body

    unknown = _reset(client, "nobody@example.jp")
    assert len(mail.outbox) == 1  # nothing is sent to an address without an account

    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain
    assert _without_tokens(known.content.decode()) == _without_tokens(unknown.content.decode())


def test_password_reset_link_sets_a_new_password(client):
    _member(email="taro@example.jp")
    _reset(client, "taro@example.jp")
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
        {"password1": "Momiji-autumn-2025", "password2": "Momiji-autumn-2025"},
    )
    assert response.status_code == 302
    client.logout()
    assert _login(client, "taro@example.jp", "Momiji-autumn-2025").status_code == 302


# --- LINE Login and the phishing notice ----------------------------------------------------------------------


@pytest.mark.parametrize("page", ["account_login", "account_signup"])
def test_line_button_hidden_when_not_configured(client, settings, page):
    settings.SOCIALACCOUNT_PROVIDERS = {"line": {"SCOPE": ["profile", "openid", "email"], "APPS": []}}
    html = client.get(reverse(page)).content.decode()
    assert _ja("Log in with LINE") not in html
    assert "/accounts/line/login/" not in html


@pytest.mark.parametrize("page", ["account_login", "account_signup"])
def test_line_button_shown_when_configured(client, settings, page):
    settings.SOCIALACCOUNT_PROVIDERS = LINE_APPS
    html = client.get(reverse(page)).content.decode()
    assert _ja("Log in with LINE") in html
    assert 'action="/accounts/line/login/?process=login"' in html


def test_line_login_redirects_to_line_with_the_requested_scopes(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = LINE_APPS
    response = client.post("/accounts/line/login/?process=login")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    query = parse_qs(location.query)
    assert location.netloc == "access.line.me"
    assert query["client_id"] == ["1650000000"]
    assert set(query["scope"][0].split()) == {"profile", "openid", "email"}
    assert query["redirect_uri"] == ["http://testserver/accounts/line/login/callback/"]


def test_sign_in_page_shows_the_phishing_notice(client):
    assert _ja(PHISHING_MSGID) in client.get(reverse("account_login")).content.decode()


# --- account area: profile ----------------------------------------------------------------------------------


def test_account_area_requires_sign_in(client):
    for name in ("accounts:profile", "accounts:addresses", "accounts:address_create"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_profile_update(client):
    user = _member()
    client.force_login(user)
    page = client.get(reverse("accounts:profile"))
    assert page.status_code == 200
    assert page.context["account_section"] == "profile"
    html = page.content.decode()
    assert reverse("account_email") in html and reverse("account_change_password") in html
    assert _ja("Used only for recommendations and for sizes that suit you; you may leave it blank.") in html

    response = client.post(
        reverse("accounts:profile"),
        {"display_name": " はなこ ", "birth_month": "4", "gender": "female", "age_band": "20s"},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.display_name, user.birth_month, user.gender, user.age_band) == ("はなこ", 4, "female", "20s")


def test_profile_optional_fields_can_be_cleared(client):
    user = _member(display_name="はなこ", birth_month=4, gender="female", age_band="20s")
    client.force_login(user)
    client.post(
        reverse("accounts:profile"), {"display_name": "はなこ", "birth_month": "", "gender": "", "age_band": ""}
    )
    user.refresh_from_db()
    assert (user.birth_month, user.gender, user.age_band) == (None, "", "")


def test_profile_rejects_unknown_choices(client):
    user = _member()
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), {"display_name": "x", "birth_month": "13", "gender": "cat"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"birth_month", "gender"}
    user.refresh_from_db()
    assert user.display_name == ""


# --- account area: addresses --------------------------------------------------------------------------------


def test_addresses_create_edit_default_delete(client):
    user = _member()
    client.force_login(user)

    assert client.post(reverse("accounts:address_create"), _address_data()).status_code == 302
    first = Address.objects.get(user=user)
    assert first.is_default  # the first address is the default
    assert (first.postal_code, first.phone) == ("150-0001", "09012345678")

    client.post(reverse("accounts:address_create"), _address_data(name="山田 太郎", prefecture="大阪府"))
    second = Address.objects.get(user=user, name="山田 太郎")
    assert not second.is_default

    page = client.get(reverse("accounts:addresses"))
    assert page.context["account_section"] == "addresses"
    assert [a.pk for a in page.context["addresses"]] == [first.pk, second.pk]

    response = client.post(reverse("accounts:address_update", args=[second.pk]), _address_data(city="大阪市北区"))
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.city == "大阪市北区"

    client.post(reverse("accounts:address_set_default", args=[second.pk]))
    assert list(Address.objects.filter(user=user, is_default=True)) == [second]

    client.post(reverse("accounts:address_delete", args=[second.pk]))
    assert list(Address.objects.filter(user=user)) == [first]
    first.refresh_from_db()
    assert first.is_default  # the remaining address took over as default


def test_address_form_errors_are_shown_and_nothing_is_saved(client):
    user = _member()
    client.force_login(user)
    response = client.post(reverse("accounts:address_create"), _address_data(postal_code="12", phone="12345"))
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"postal_code", "phone"}
    assert not Address.objects.filter(user=user).exists()


def test_other_peoples_addresses_are_not_reachable(client):
    owner = _member()
    address = Address.objects.create(user=owner, is_default=True, **_address_data(postal_code="150-0001"))
    client.force_login(_member())

    assert client.get(reverse("accounts:address_update", args=[address.pk])).status_code == 404
    assert client.post(reverse("accounts:address_update", args=[address.pk]), _address_data()).status_code == 404
    assert client.post(reverse("accounts:address_set_default", args=[address.pk])).status_code == 404
    assert client.post(reverse("accounts:address_delete", args=[address.pk])).status_code == 404
    assert "山田" not in client.get(reverse("accounts:addresses")).content.decode()

    address.refresh_from_db()
    assert address.city == "渋谷区" and address.is_default
