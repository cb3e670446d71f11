"""A member with points uses some of them and a coupon at checkout, pays by card in Chromium, and sees the new
balance on the thank-you page and in their points page."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from loyalty.models import Coupon, CouponRedemption, PointEntry
from loyalty.selectors.points import points_balance
from loyalty.services.points import points_award
from shop.accounts.privacy_services import legal_accept_current
from shop.orders.models import Order
from tests.browser.signin import sign_in
from tests.browser.test_checkout import enter_card, fill_address
from tests.factories import UserFactory, VariantFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(stripe_settings, localstripe_server, live_server, shipping_methods):
    localstripe_server.register_webhook(
        url=f"{live_server.url}/payments/webhooks/stripe/", secret=stripe_settings.STRIPE_WEBHOOK_SECRET
    )
    VariantFactory(product__name="リネンシャツ", product__slug="linen", sku="LIN-M", price=4980, stock=5)
    yield live_server.url
    localstripe_server.clear_webhooks()


def test_member_redeems_points_and_a_coupon_pays_and_sees_the_new_balance(page: Page, shop):
    base = shop
    member = UserFactory(email="hanako@example.jp")
    legal_accept_current(user=member)
    points_award(
        user=member,
        amount=1200,
        kind=PointEntry.Kind.ADJUSTMENT,
        source_key="browser-test:points",
        available_at=timezone.now() - datetime.timedelta(days=1),
        note="welcome",
    )
    Coupon.objects.create(
        code="THANKS300", name="感謝クーポン", kind=Coupon.Kind.FIXED, value=300, min_subtotal=3000, max_uses=100
    )

    sign_in(page, base, member.email)

    page.goto(f"{base}/p/linen/")
    page.locator("form.add-to-cart button[type=submit]").click()
    expect(page.locator("#cart-badge")).to_have_text("1")
    page.goto(f"{base}/checkout/")
    fill_address(page)
    page.locator(".checkout-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/checkout/review/$"))
    expect(page.locator("[data-order-total]")).to_contain_text("¥5,580")  # 4,980 + 600 shipping

    page.fill("#id_coupon_code", "thanks300")
    page.fill("#id_points", "500")
    page.locator(".discount-form button[type=submit]:not([name])").click()
    expect(page.locator("[data-coupon-discount]")).to_have_text("−¥300")
    expect(page.locator("[data-points-used]")).to_contain_text("500")
    expect(page.locator("[data-order-total]")).to_contain_text("¥4,780")

    page.locator("form.place-order button").click()
    expect(page).to_have_url(re.compile(r"/checkout/pay/[^/]+/$"))
    expect(page.locator("[data-order-total]")).to_contain_text("¥4,780")
    enter_card(page, "4242424242424242")
    expect(page).to_have_url(re.compile(r"/checkout/thanks/[^/]+/$"), timeout=15000)
    expect(page.locator("main")).to_contain_text("700")  # 1,200 − 500

    order = Order.objects.get()
    assert (order.total, order.points_used, order.coupon_code) == (4780, 500, "THANKS300")
    assert order.paid_at is not None
    assert CouponRedemption.objects.get(order=order).status == CouponRedemption.Status.USED
    assert points_balance(user=member).available == 700

    page.goto(f"{base}/account/points/")
    expect(page.locator("[data-points-available]")).to_contain_text("700")
