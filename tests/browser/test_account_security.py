"""A shopper's account in a real Chromium: sign up, confirm the e-mail from the mailbox, sign in, turn on
two-step verification, sign out, and sign in again with a code from the authenticator."""

import base64
import re

import pytest
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from shop.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "new.shopper@example.jp"
PASSWORD = "sakura-mochi-2026"


def code_from_secret(secret: str, *, offset_steps: int = 0) -> str:
    """What an authenticator app shows for the base32 key printed on the setup page."""
    key = base64.b32decode(secret.replace(" ", "").upper() + "=" * (-len(secret.replace(" ", "")) % 8))
    return f"{totp(key, step=30, t0=0, digits=6, drift=offset_steps):06d}"


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()


def sign_out(page: Page) -> None:
    page.locator("header form[action='/accounts/logout/'] button").click()
    expect(page.locator("header")).to_contain_text("ログイン")


def test_sign_up_verify_enable_two_factor_and_sign_in_with_a_code(page: Page, live_server, mailoutbox):
    base = live_server.url
    page.goto(f"{base}/accounts/signup/")
    expect(page.locator("main")).to_contain_text("当店がメールやLINEでパスワードをお尋ねすることはありません")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator("form[action='/accounts/signup/'] button[type=submit]").click()

    # The confirmation link from the mailbox.
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    page.goto(base + link[link.index("/accounts/") :])
    page.locator("main form button[type=submit]").click()
    user = User.objects.get(email=EMAIL)
    assert user.emailaddress_set.get().verified

    sign_out(page)
    sign_in(page, base)
    page.goto(f"{base}/account/security/")
    page.locator("a[href='/account/security/two-factor/setup/']").click()
    secret = page.locator("[data-totp-secret]").inner_text()
    expect(page.locator(".totp-qr svg")).to_be_visible()
    page.fill("input[name=token]", code_from_secret(secret))
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("バックアップコード")
    assert TOTPDevice.objects.get(user=user).confirmed

    sign_out(page)
    sign_in(page, base)
    expect(page).to_have_url(re.compile(r"/account/security/verify/"))
    page.goto(f"{base}/account/")  # anything else waits for the code
    expect(page).to_have_url(re.compile(r"/account/security/verify/"))
    # The code used to turn 2FA on cannot be used again; the app's next code (within the allowed drift) works.
    page.fill("input[name=token]", code_from_secret(secret, offset_steps=1))
    page.locator("main form button[type=submit]").first.click()
    page.goto(f"{base}/account/")
    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.locator("main")).to_contain_text(EMAIL)
