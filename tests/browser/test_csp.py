"""The Content-Security-Policy in a real Chromium: no page of the shopping path (home, product, cart, card payment
with the Stripe.js localstripe serves) trips it, and the card Element still mounts."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_checkout import checkout_to_payment
from tests.factories import VariantFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(stripe_settings, localstripe_server, live_server, shipping_methods):
    VariantFactory(product__name="リネンシャツ", product__slug="linen", sku="LIN-M", price=4980, stock=5)
    return live_server.url


def watch_csp(page: Page) -> list[str]:
    """Collects every CSP violation the page reports, from the console and from securitypolicyviolation events."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.expose_function("reportCspViolation", lambda text: violations.append(text))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) =>"
        " window.reportCspViolation(e.violatedDirective + ' ' + e.blockedURI));"
    )
    return violations


def script_src(header: str) -> list[str]:
    directive = next(part for part in header.split(";") if part.strip().startswith("script-src "))
    return directive.split()[1:]


def test_shopping_and_card_payment_pages_keep_to_the_csp(page: Page, shop, localstripe_server):
    violations = watch_csp(page)

    for path in ("/", "/p/linen/", "/cart/"):
        response = page.goto(shop + path)
        assert response.status == 200, path
        header = response.headers["content-security-policy"]
        assert "'unsafe-inline'" not in script_src(header) and "'unsafe-eval'" not in script_src(header)

    checkout_to_payment(page, shop)

    header = page.evaluate("() => fetch(location.href).then((r) => r.headers.get('content-security-policy'))")
    assert script_src(header) == ["'self'", localstripe_server.url]
    # The card Element mounted: localstripe's fake puts plain inputs into #card-element.
    expect(page.locator('#card-element input[placeholder="number"]')).to_be_visible()
    page.fill('#card-element input[placeholder="number"]', "4242424242424242")
    page.fill('#card-element input[placeholder="exp_month"]', "12")
    page.fill('#card-element input[placeholder="exp_year"]', "34")
    page.fill('#card-element input[placeholder="cvc"]', "123")
    page.locator("#pay-button").click()
    # Paying calls the Stripe API (connect-src) from the page.
    expect(page).to_have_url(re.compile(r"/checkout/thanks/[^/]+/$"), timeout=15000)

    assert violations == []
    # And the watch works: an injected inline script is blocked and reported.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        " document.body.appendChild(s); }"
    )
    expect(page.locator("body")).to_be_visible()
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.injected") is None
    assert any("script-src" in text for text in violations), violations
