"""Each fraud check holds the purchase in the review queue with a reason staff can read, and the sharer gets nothing
until staff approve it."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from loyalty.models import PointEntry
from payments import services as payments
from shop.accounts.models import Address, User
from shop.orders.models import Order, ShippingMethod
from social.rewards import services
from social.rewards.models import SharePurchase, ShareReward
from social.shares.constants import VISITOR_COOKIE
from social.shares.models import Attribution, KnownDevice

from .conftest import SHARER_ADDRESS, make_member, place

pytestmark = pytest.mark.django_db

WINDOW = datetime.timedelta(days=14)
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1"


def _held(order, *codes: str) -> SharePurchase:
    """The order's purchase is in the review queue with exactly these reasons, each explained, and pays nothing."""
    purchase = SharePurchase.objects.get(order=order)
    assert purchase.status == SharePurchase.Status.REVIEW
    assert [reason["code"] for reason in purchase.reasons] == list(codes)
    assert all(reason["detail"] for reason in purchase.reasons)
    services.share_rewards_tally(now=order.paid_at + WINDOW + datetime.timedelta(days=1))
    assert not ShareReward.objects.filter(sharer=purchase.sharer).exclude(status=ShareReward.Status.CANCELLED)
    assert not PointEntry.objects.filter(user=purchase.sharer, kind=PointEntry.Kind.SHARE_REWARD).exists()
    return purchase


def test_buying_through_your_own_link_is_held(campaign, sharer, buy):
    order = buy(email=sharer.email, user=sharer)
    assert Attribution.objects.get(order=order).reason == Attribution.Reason.SELF_PURCHASE
    purchase = _held(order, "own_link", "same_email")
    assert purchase.buyer_key == f"user:{sharer.pk}"


def test_the_sharers_email_as_a_guest_is_held(campaign, sharer, buy):
    order = buy(email="  SHARER@example.JP ")
    _held(order, "own_link", "same_email")


def test_the_sharers_card_is_held(campaign, sharer, variant, link, stripe_settings, django_capture_on_commit_callbacks):
    """Both pay with the same card number through localstripe: Stripe's fingerprint is the same."""
    own = place(variant, email=sharer.email, user=sharer, payment_method=Order.PaymentMethod.CARD, **SHARER_ADDRESS)
    payments.card_payment_prepare(order=own, user=sharer)
    with django_capture_on_commit_callbacks(execute=True):
        assert payments.card_payment_confirm(order=own, payment_method="pm_card_visa").status == "succeeded"
    fingerprint = own.payments.get(status="succeeded").card_fingerprint
    assert fingerprint

    order = place(variant, email="friend@example.jp", payment_method=Order.PaymentMethod.CARD)
    from social.shares import services as share_services

    share_services.attribution_record_pending(
        order_numbers=[order.number], link_id=link.pk, clicked_at=timezone.now() - datetime.timedelta(hours=1)
    )
    payments.card_payment_prepare(order=order)
    with django_capture_on_commit_callbacks(execute=True):
        assert payments.card_payment_confirm(order=order, payment_method="pm_card_visa").status == "succeeded"
    order.refresh_from_db()
    assert order.payments.get(status="succeeded").card_fingerprint == fingerprint
    purchase = _held(order, "same_card")
    assert own.number in purchase.reasons[0]["detail"]


def test_an_address_the_sharer_saved_is_held_whatever_its_spelling(campaign, sharer, buy):
    Address.objects.create(user=sharer, **SHARER_ADDRESS)
    # Full-width digits, a full-width space and a long-vowel mark for the dashes: the same place.
    order = buy(
        email="friend@example.jp",
        postal_code="150-0001",
        prefecture="東京都",
        city="渋谷区",
        street="神宮前１ー２ー３",
        building="つなぐビル　４０１",
        name="別の 名前",
    )
    _held(order, "same_address")


def test_the_address_of_an_earlier_order_of_the_sharer_is_held(campaign, sharer, buy, variant):
    place(variant, email=sharer.email, user=sharer, **SHARER_ADDRESS)
    order = buy(email="friend@example.jp", **{**SHARER_ADDRESS, "name": "友だち"})
    purchase = _held(order, "same_address")
    assert Order.objects.get(user=sharer).number in purchase.reasons[0]["detail"]


def _checkout(client, *, variant, email: str) -> Order:
    assert client.post("/cart/add/", {"variant": variant.pk, "quantity": 1}).status_code == 302
    address = {
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
    response = client.post("/checkout/", address)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert client.post("/checkout/review/", {"token": client.session["checkout_token"]}).status_code == 302
    return Order.objects.get(number=client.session["orders"][-1])


def test_a_browser_the_sharer_signed_in_from_is_held(
    campaign, sharer, link, variant, staff, django_capture_on_commit_callbacks
):
    """The sharer opens their own link signed out, signs in on that phone, signs out and buys as a "guest"."""
    phone = Client(HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="198.51.100.23")
    assert phone.get(f"/s/{link.code}/").status_code == 302
    key = phone.cookies[VISITOR_COOKIE].value
    response = phone.post("/accounts/login/", {"login": sharer.email, "password": "correct-horse-battery"})
    assert response.status_code == 302, response.content.decode()[:2000]
    device = KnownDevice.objects.get(user=sharer)
    assert (device.visitor_key, device.ip) == (key, "198.51.100.23")
    assert phone.post("/accounts/logout/").status_code == 302

    order = _checkout(phone, variant=variant, email="someone.else@example.jp")
    attribution = Attribution.objects.get(order=order)
    assert (attribution.link, attribution.visitor_key, attribution.buyer_ip) == (link, key, "198.51.100.23")
    with django_capture_on_commit_callbacks(execute=True):
        payments.manual_payment_mark_paid(order_id=order.pk, actor=staff)
    order.refresh_from_db()
    # The guest also ordered from the network the sharer signs in from.
    _held(order, "same_device", "same_network")


def test_signing_in_twice_from_one_browser_records_it_once(sharer):
    browser = Client()
    browser.cookies[VISITOR_COOKIE] = "a" * 32
    for _ in range(2):
        assert (
            browser.post("/accounts/login/", {"login": sharer.email, "password": "correct-horse-battery"}).status_code
            == 302
        )
        browser.post("/accounts/logout/")
    assert list(KnownDevice.objects.filter(user=sharer).values_list("visitor_key", flat=True)) == ["a" * 32]


def test_a_browser_without_a_visitor_id_gets_one_at_sign_in(sharer):
    """So a later purchase through the member's own link from that browser is recognised."""
    browser = Client()
    response = browser.post("/accounts/login/", {"login": sharer.email, "password": "correct-horse-battery"})
    assert response.status_code == 302
    key = response.cookies[VISITOR_COOKIE].value
    assert len(key) == 32
    assert list(KnownDevice.objects.filter(user=sharer).values_list("visitor_key", flat=True)) == [key]


def test_a_guest_on_the_sharers_network_is_held(campaign, sharer, buy):
    KnownDevice.objects.create(user=sharer, visitor_key="b" * 32, ip="203.0.113.10")
    order = buy(email="friend@example.jp", visitor_key="c" * 32, buyer_ip="203.0.113.200")
    _held(order, "same_network")


def test_one_of_many_new_accounts_from_one_network_is_held(campaign, sharer, buy):
    signup = Client(REMOTE_ADDR="192.0.2.44")
    response = signup.post(
        "/accounts/signup/",
        {"email": "fresh@example.jp", "password1": "yuzu-matcha-2026", "password2": "yuzu-matcha-2026"},
    )
    assert response.status_code == 302
    buyer = User.objects.get(email="fresh@example.jp")
    assert buyer.signup_ip == "192.0.2.44"
    for number in range(3):  # campaign.network_max_accounts others from the same /24 within a day
        make_member(f"sock{number}@example.jp", signup_ip=f"192.0.2.{100 + number}")
    make_member("elsewhere@example.jp", signup_ip="192.0.3.1")

    order = buy(email=buyer.email, user=buyer)
    purchase = _held(order, "new_accounts_network")
    assert "192.0.2.0/24" in purchase.reasons[0]["detail"]


def test_two_new_accounts_from_one_network_are_not_enough(campaign, sharer, buy):
    buyer = make_member("fresh@example.jp", signup_ip="192.0.2.44")
    make_member("flatmate@example.jp", signup_ip="192.0.2.45")
    old = make_member("old@example.jp", signup_ip="192.0.2.46")
    User.objects.filter(pk=old.pk).update(date_joined=timezone.now() - datetime.timedelta(days=30))
    order = buy(email=buyer.email, user=buyer)
    assert SharePurchase.objects.get(order=order).status == SharePurchase.Status.COUNTED


def test_purchases_over_the_daily_cap_are_held(campaign, sharer, buy):
    campaign.daily_cap = 2
    campaign.save()
    orders = [buy(email=f"friend{number}@example.jp") for number in range(3)]
    statuses = [SharePurchase.objects.get(order=order).status for order in orders]
    assert statuses == [SharePurchase.Status.COUNTED, SharePurchase.Status.COUNTED, SharePurchase.Status.REVIEW]
    purchase = SharePurchase.objects.get(order=orders[2])
    assert [reason["code"] for reason in purchase.reasons] == ["daily_cap"]
    assert re.search(r"\b2\b", purchase.reasons[0]["detail"])


def test_staff_approval_counts_a_held_purchase_and_rejection_takes_it_out(campaign, sharer, buy, staff):
    order = buy(email=sharer.email)
    purchase = _held(order, "own_link", "same_email")

    now = order.paid_at + WINDOW + datetime.timedelta(days=2)
    approved = services.share_purchase_review(purchase_id=purchase.pk, approve=True, actor=staff, now=now)
    assert (approved.status, approved.reviewed_by, approved.reviewed_at) == (SharePurchase.Status.APPROVED, staff, now)
    reward = ShareReward.objects.get(sharer=sharer)
    # Approved after the return window: confirmed by the tally the approval runs.
    assert reward.status == ShareReward.Status.CONFIRMED
    assert list(PointEntry.objects.filter(user=sharer, kind="share_reward").values_list("amount", flat=True)) == [100]
    assert services.share_purchase_review(purchase_id=purchase.pk, approve=True, actor=staff, now=now) is None

    # Rejecting now changes the purchase but takes nothing back.
    rejected = services.share_purchase_review(purchase_id=purchase.pk, approve=False, actor=staff, now=now)
    assert rejected.status == SharePurchase.Status.REJECTED
    reward.refresh_from_db()
    assert reward.status == ShareReward.Status.CONFIRMED


def test_rejecting_inside_the_window_cancels_the_pending_reward(campaign, sharer, buy, staff):
    order = buy(email="friend@example.jp")
    purchase = SharePurchase.objects.get(order=order)
    services.share_purchase_review(purchase_id=purchase.pk, approve=False, actor=staff)
    assert ShareReward.objects.get(sharer=sharer).status == ShareReward.Status.CANCELLED
    services.share_rewards_tally(now=order.paid_at + WINDOW + datetime.timedelta(days=1))
    assert not PointEntry.objects.filter(user=sharer, kind="share_reward").exists()
