"""Checkout in a real Chromium with the Stripe.js that localstripe serves: card success, decline then retry,
3-D Secure, and a staff refund in the admin."""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from payments.models import Payment, WebhookEvent
from shop.accounts.privacy_services import legal_accept_current
from shop.orders.models import Order
from tests.browser.signin import sign_in
from tests.conftest import otp_device_for, totp_code
from tests.factories import UserFactory, VariantFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(stripe_settings, localstripe_server, live_server, shipping_methods):
    localstripe_server.register_webhook(
        url=f"{live_server.url}/payments/webhooks/stripe/", secret=stripe_settings.STRIPE_WEBHOOK_SECRET
    )
    variant = VariantFactory(product__name="リネンシャツ", product__slug="linen", sku="LIN-M", price=4980, stock=5)
    yield live_server.url, variant
    localstripe_server.clear_webhooks()


def fill_address(page: Page) -> None:
    page.fill("#id_email", "hanako@example.jp")
    page.fill("#id_name", "山田 花子")
    page.fill("#id_postal_code", "１５０ー０００１")  # full-width, as phones often type it
    page.select_option("#id_prefecture", "東京都")
    page.fill("#id_city", "渋谷区")
    page.fill("#id_street", "神宮前1-2-3")
    page.fill("#id_phone", "090-1234-5678")


def checkout_to_payment(page: Page, base: str) -> str:
    page.goto(f"{base}/p/linen/")
    page.locator("form.add-to-cart button[type=submit]").click()
    expect(page.locator("#cart-badge")).to_have_text("1")
    page.goto(f"{base}/cart/")
    page.locator(".checkout-cta a").click()
    fill_address(page)
    page.locator(".checkout-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/checkout/review/$"))
    # 4,980 + 600 shipping (under the ¥5,000 free-shipping threshold).
    expect(page.locator("[data-order-total]")).to_contain_text("¥5,580")
    page.locator("form.place-order button").click()
    expect(page).to_have_url(re.compile(r"/checkout/pay/[^/]+/$"))
    return page.url.rstrip("/").split("/")[-1]


def enter_card(page: Page, number: str) -> None:
    page.fill('#card-element input[placeholder="number"]', number)
    page.fill('#card-element input[placeholder="exp_month"]', "12")
    page.fill('#card-element input[placeholder="exp_year"]', "34")
    page.fill('#card-element input[placeholder="cvc"]', "123")
    page.locator("#pay-button").click()


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_guest_pays_by_card_and_staff_refunds_it(page: Page, shop):
    base, variant = shop
    number = checkout_to_payment(page, base)
    enter_card(page, "4242424242424242")
    expect(page).to_have_url(re.compile(rf"/checkout/thanks/{number}/$"), timeout=15000)
    expect(page.locator("main h1")).to_have_text("ご注文ありがとうございます")

    order = Order.objects.get(number=number)
    assert order.paid_at is not None and order.total == 5580
    variant.refresh_from_db()
    assert variant.stock == 4
    # The webhook arrives about a second later and changes nothing more.
    assert wait_for(lambda: WebhookEvent.objects.filter(type="payment_intent.succeeded").exists())
    assert order.events.filter(message="Payment received").count() == 0  # the card path writes its own note
    assert order.events.filter(status=Order.Status.PAID).count() == 1

    staff = UserFactory(email="staff@example.jp", is_staff=True, is_superuser=True)
    legal_accept_current(user=staff)  # a new account has accepted the current privacy policy and terms
    sign_in(page, base, staff.email)
    # The admin needs two-step verification: the first page after signing in asks for the authenticator's code.
    device = otp_device_for(staff)
    page.goto(f"{base}/admin/orders/order/{order.pk}/change/")
    expect(page).to_have_url(re.compile(r"/account/security/verify/\?next="))
    page.fill("input[name=token]", totp_code(device))
    page.locator("form.verify-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/admin/orders/order/{order.pk}/change/$"))
    page.locator(f"a[href$='/admin/orders/order/{order.pk}/refund/']").click()
    expect(page.locator("input[name=amount]")).to_have_value("5580")  # the rest, by default
    page.locator("[name=reason]").fill("お客様都合")
    page.locator("form input[type=submit].default").click()
    expect(page.locator(".messagelist")).to_be_visible()
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED and order.refunded_amount == 5580
    page.goto(f"{base}/orders/{number}/")
    expect(page.locator("[data-order-status]")).to_have_text("返金済み")


def test_declined_card_shows_a_message_then_another_card_works(page: Page, shop):
    base, _variant = shop
    number = checkout_to_payment(page, base)
    enter_card(page, "4000000000000341")  # attaches, then the charge is declined
    expect(page.locator("#card-errors")).to_be_visible(timeout=15000)
    expect(page.locator("#card-errors")).to_contain_text("カード")
    order = Order.objects.get(number=number)
    assert order.paid_at is None and order.status == Order.Status.PENDING_PAYMENT
    page.reload()
    enter_card(page, "4242424242424242")
    expect(page).to_have_url(re.compile(rf"/checkout/thanks/{number}/$"), timeout=15000)
    statuses = list(order.payments.order_by("created_at").values_list("status", flat=True))
    assert statuses == [Payment.Status.FAILED, Payment.Status.SUCCEEDED]


def test_three_d_secure_card_is_authenticated_in_the_page(page: Page, shop):
    base, _variant = shop
    number = checkout_to_payment(page, base)
    enter_card(page, "4000002500003155")
    # The bank asks twice: when the card is saved (SetupIntent) and when the server's charge needs it.
    page.get_by_role("button", name="Complete authentication").click(timeout=15000)
    expect(page.get_by_role("button", name="Complete authentication")).to_have_count(0)
    page.get_by_role("button", name="Complete authentication").click(timeout=15000)
    expect(page).to_have_url(re.compile(rf"/checkout/thanks/{number}/$"), timeout=15000)
    assert Order.objects.get(number=number).paid_at is not None
