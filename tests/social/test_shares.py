"""Share links end to end: a click per visitor a day, the share cookie, attribution on payment, reversal on refund."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.test import Client

from payments import services as payments
from shop.accounts.privacy_services import legal_accept_current
from shop.orders.models import Order, ShippingMethod
from social.shares.models import Attribution, ShareClick, ShareLink
from social.shares.selectors import share_funnel
from tests.factories import UserFactory, VariantFactory

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1"
LINE_PREVIEW = "facebookexternalhit/1.1;line-poker/1.0"


def _address(email: str) -> dict:
    return {
        "email": email,
        "name": "鈴木 太郎",
        "postal_code": "530-0001",
        "prefecture": "大阪府",
        "city": "大阪市北区",
        "street": "梅田1-1-1",
        "building": "",
        "phone": "06-1234-5678",
        "shipping_method": ShippingMethod.objects.get(code="standard").pk,
        "payment_method": Order.PaymentMethod.BANK_TRANSFER,
    }


def _user(email: str):
    user = UserFactory(email=email)
    legal_accept_current(user=user)
    return user


@pytest.fixture
def variant(shipping_methods):
    return VariantFactory(price=1980, stock=10)


@pytest.fixture
def sharer():
    return _user("sharer@example.jp")


@pytest.fixture
def staff():
    return _user("staff@example.jp")


@pytest.fixture
def share_url(sharer, variant):
    """The sharer signs in, opens the product page and takes the LINE link its share buttons carry."""
    client = Client(HTTP_USER_AGENT=BROWSER)
    client.force_login(sharer)
    page = client.get(variant.product.get_absolute_url())
    assert page.status_code == 200
    body = page.content.decode()
    link = ShareLink.objects.get(sharer=sharer, product=variant.product, channel=ShareLink.Channel.LINE)
    assert "social-plugins.line.me/lineit/share?url=" in body
    assert f"%2Fs%2F{link.code}%2F" in body  # the LINE button carries the sharer's code
    codes = set(re.findall(r"/s/([A-Za-z0-9]+)/", body))
    assert len(codes) == 2  # copy and share sheet: their own codes, in the page as plain URLs
    assert ShareLink.objects.filter(sharer=sharer).count() == len(ShareLink.Channel.values)
    assert client.get(variant.product.get_absolute_url()).status_code == 200
    assert ShareLink.objects.filter(sharer=sharer).count() == len(ShareLink.Channel.values)  # made once
    return f"/s/{link.code}/"


def _checkout(client, *, variant, email: str, payment_method: str = Order.PaymentMethod.BANK_TRANSFER) -> Order:
    assert client.post("/cart/add/", {"variant": variant.pk, "quantity": 1}).status_code == 302
    response = client.post("/checkout/", {**_address(email), "payment_method": payment_method})
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post("/checkout/review/", {"token": client.session["checkout_token"]})
    assert response.status_code == 302
    return Order.objects.get(number=client.session["orders"][-1])


def _mark_paid(order, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert payments.manual_payment_mark_paid(order_id=order.pk, actor=staff)


def _funnel_page(sharer) -> str:
    client = Client(HTTP_USER_AGENT=BROWSER)
    client.force_login(sharer)
    page = client.get("/account/shares/")
    assert page.status_code == 200
    return page.content.decode()


def test_a_visitors_paid_order_is_attributed_to_the_share_and_a_refund_reverses_it(
    share_url, sharer, staff, variant, django_capture_on_commit_callbacks
):
    visitor = Client(HTTP_USER_AGENT=BROWSER)
    for _ in range(3):
        response = visitor.get(share_url)
        assert response.status_code == 302
        assert response["Location"] == variant.product.get_absolute_url()
    assert ShareClick.objects.count() == 1

    order = _checkout(visitor, variant=variant, email="visitor@example.jp")
    attribution = Attribution.objects.get(order=order)
    assert attribution.status == Attribution.Status.PENDING

    _mark_paid(order, staff, django_capture_on_commit_callbacks)
    attribution.refresh_from_db()
    assert attribution.status == Attribution.Status.CONFIRMED
    assert attribution.link.sharer == sharer
    funnel = share_funnel(sharer=sharer)
    assert (funnel.total.clicks, funnel.total.visitors, funnel.total.orders) == (1, 1, 1)
    line = next(row for row in funnel.channels if row.label == "LINE")
    assert (line.clicks, line.orders, line.cvr) == (1, 1, 1.0)
    assert "data-total-orders>1<" in _funnel_page(sharer)

    for _ in range(2):  # the tally agrees with the task and changes nothing on a second run
        call_command("tally_attribution")
        attribution.refresh_from_db()
        assert attribution.status == Attribution.Status.CONFIRMED

    with django_capture_on_commit_callbacks(execute=True):
        payments.refund_order(order_id=order.pk, amount=order.total, actor=staff)
    attribution.refresh_from_db()
    assert attribution.status == Attribution.Status.REVERSED
    assert share_funnel(sharer=sharer).total.orders == 0
    assert "data-total-orders>0<" in _funnel_page(sharer)
    call_command("tally_attribution")
    attribution.refresh_from_db()
    assert attribution.status == Attribution.Status.REVERSED


def test_the_sharers_own_click_does_not_count(share_url, sharer):
    client = Client(HTTP_USER_AGENT=BROWSER)
    client.force_login(sharer)
    response = client.get(share_url)
    assert response.status_code == 302
    assert not ShareClick.objects.exists()
    assert "shop_share" not in response.cookies


def test_the_sharer_buying_through_their_own_link_is_not_attributed(
    share_url, sharer, staff, variant, django_capture_on_commit_callbacks
):
    signed_out = Client(HTTP_USER_AGENT=BROWSER)  # the sharer on another browser, not signed in
    signed_out.get(share_url)
    order = _checkout(signed_out, variant=variant, email="Sharer@example.jp")
    _mark_paid(order, staff, django_capture_on_commit_callbacks)
    attribution = Attribution.objects.get(order=order)
    assert (attribution.status, attribution.reason) == (Attribution.Status.REJECTED, "self_purchase")
    assert share_funnel(sharer=sharer).total.orders == 0


def test_an_order_paid_after_seven_days_is_not_attributed(
    share_url, staff, variant, django_capture_on_commit_callbacks
):
    visitor = Client(HTTP_USER_AGENT=BROWSER)
    visitor.get(share_url)
    order = _checkout(visitor, variant=variant, email="late@example.jp")
    Attribution.objects.filter(order=order).update(
        clicked_at=Attribution.objects.get(order=order).clicked_at - datetime.timedelta(days=8)
    )
    _mark_paid(order, staff, django_capture_on_commit_callbacks)
    assert Attribution.objects.get(order=order).reason == "expired"


def test_an_order_without_a_share_is_not_attributed(staff, variant, django_capture_on_commit_callbacks):
    order = _checkout(Client(HTTP_USER_AGENT=BROWSER), variant=variant, email="plain@example.jp")
    _mark_paid(order, staff, django_capture_on_commit_callbacks)
    assert not Attribution.objects.exists()


@pytest.mark.parametrize(
    "user_agent",
    [LINE_PREVIEW, "Twitterbot/1.0", "Googlebot/2.1", "Line/13.0.0 (link preview)", "facebookexternalhit/1.1", ""],
)
def test_bots_are_redirected_but_not_counted(share_url, variant, user_agent):
    response = Client(HTTP_USER_AGENT=user_agent).get(share_url)
    assert response.status_code == 302
    assert response["Location"] == variant.product.get_absolute_url()
    assert not ShareClick.objects.exists()
    assert "shop_share" not in response.cookies


def test_another_visitor_and_another_day_count_again(share_url):
    Client(HTTP_USER_AGENT=BROWSER).get(share_url)
    second = Client(HTTP_USER_AGENT=BROWSER)
    second.get(share_url)
    ShareClick.objects.filter(visitor_key=second.cookies["shop_vid"].value).update(day=datetime.date(2020, 1, 1))
    second.get(share_url)
    assert ShareClick.objects.count() == 3
    assert ShareClick.objects.values("visitor_key").distinct().count() == 2


@pytest.mark.parametrize("code", ["nosuchcode", "x", "%3Cscript%3E", "a" * 40, "abc-def"])
def test_unknown_or_garbage_code_is_a_404(db, code):
    for agent in (BROWSER, "Twitterbot/1.0"):
        assert Client(HTTP_USER_AGENT=agent).get(f"/s/{code}/").status_code == 404


def test_a_tampered_share_cookie_is_ignored(share_url, staff, variant, django_capture_on_commit_callbacks):
    visitor = Client(HTTP_USER_AGENT=BROWSER)
    visitor.get(share_url)
    visitor.cookies["shop_share"] = visitor.cookies["shop_share"].value.replace(":", ";", 1) + "x"
    _checkout(visitor, variant=variant, email="tamper@example.jp")
    assert not Attribution.objects.exists()


def test_anonymous_visitors_share_the_plain_product_url(variant):
    page = Client(HTTP_USER_AGENT=BROWSER).get(variant.product.get_absolute_url())
    assert page.status_code == 200
    assert "social-plugins.line.me/lineit/share" in page.content.decode()
    assert "/s/" not in page.content.decode()
    assert not ShareLink.objects.exists()


def test_the_funnel_page_needs_sign_in(db):
    response = Client().get("/account/shares/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_new_member_pays_by_card_and_the_webhook_confirms_the_attribution(
    share_url, sharer, variant, stripe_settings, localstripe_server, django_capture_on_commit_callbacks
):
    """The issue's path: B opens A's link, signs up, buys by card (3-D Secure, so the browser returns without a
    result) and Stripe's webhook is what tells the shop the order is paid."""
    from tests.payments.support import (
        authenticate_3ds,
        event_body,
        intent_get,
        raw_card_payment_method,
        signature_header,
    )

    visitor = Client(HTTP_USER_AGENT=BROWSER)
    assert visitor.get(share_url).status_code == 302
    signup = visitor.post(
        "/accounts/signup/",
        {"email": "new.buyer@example.jp", "password1": "yuzu-matcha-2026", "password2": "yuzu-matcha-2026"},
    )
    assert signup.status_code == 302
    order = _checkout(visitor, variant=variant, email="new.buyer@example.jp", payment_method=Order.PaymentMethod.CARD)
    assert order.user is not None and order.user.email == "new.buyer@example.jp"

    assert visitor.get(f"/checkout/pay/{order.number}/").status_code == 200
    method = raw_card_payment_method(localstripe_server.url)
    result = visitor.post(f"/checkout/pay/{order.number}/card/", {"payment_method": method}).json()
    assert result["status"] == "requires_action"
    authenticate_3ds(localstripe_server.url, result["client_secret"])

    intent = intent_get(localstripe_server.url, order.payments.get(status="requires_action").stripe_payment_intent)
    body = event_body(event_type="payment_intent.succeeded", intent=intent)
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/payments/webhooks/stripe/", body, content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature_header(body),
        )  # fmt: skip
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.paid_at is not None
    attribution = Attribution.objects.get(order=order)
    assert attribution.status == Attribution.Status.CONFIRMED and attribution.link.sharer == sharer
    funnel = share_funnel(sharer=sharer)
    assert (funnel.total.clicks, funnel.total.orders) == (1, 1)
