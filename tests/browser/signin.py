"""Signing in through the real form, shared by the browser tests."""

import re

from playwright.sync_api import Page, expect

PASSWORD = "correct-horse-battery"


def sign_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    """Sign in and wait until the page after the sign-in has finished loading, subresources included.

    A `goto` issued while the redirects after the POST or their requests are still running is aborted by Chromium
    (net::ERR_ABORTED, seen once in CI), so this waits for the network to go quiet, not only for the URL to change."""
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    page.wait_for_load_state("networkidle")
