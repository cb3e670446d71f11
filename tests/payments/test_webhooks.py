"""Stripe webhooks: real deliveries from localstripe to a live server, and hand-signed events through the test client
(bad signatures, replays, events out of order, unknown intents, amounts that do not match)."""

import time
import uuid

import pytest
from django.urls import reverse

from payments import services
from payments.models import Payment, WebhookEvent
from shop.orders.models import Order, OrderEvent
from tests.factories import VariantFactory

from .support import (
    WEBHOOK_SECRET,
    authenticate_3ds,
    event_body,
    intent_create,
    intent_get,
    place_order,
    raw_card_payment_method,
    signature_header,
    stripe_client,
    wait_until,
)

WEBHOOK_PATH = "/payments/webhooks/stripe/"
PAID_NOTE = "Card payment received"


def test_webhook_url():
    assert reverse("payments:stripe_webhook") == WEBHOOK_PATH


def _paid_events(order):
    return OrderEvent.objects.filter(order=order, message=PAID_NOTE)


def _post(client, body: bytes, signature: str | None):
    headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature is not None else {}
    return client.post(WEBHOOK_PATH, data=body, content_type="application/json", **headers)


def _send(client, *, event_type: str, intent: dict, event_id: str | None = None):
    body = event_body(event_type=event_type, intent=intent, event_id=event_id)
    return _post(client, body, signature_header(body))


def _order(*, stock: int = 5):
    return place_order(VariantFactory(price=1980, stock=stock), quantity=2)  # total 4,560 yen


def _authenticated_but_not_applied(localstripe_server):
    """A card order whose PaymentIntent succeeded on Stripe (3-D Secure completed in the browser) while the shop has
    not heard of it yet: the browser never came back, so only a webhook (or reconciliation) can tell the shop."""
    order = _order()
    services.card_payment_prepare(order=order)
    result = services.card_payment_confirm(order=order, payment_method=raw_card_payment_method(localstripe_server.url))
    assert result.status == "requires_action"
    assert authenticate_3ds(localstripe_server.url, result.client_secret)["status"] == "succeeded"
    payment = Payment.objects.get(order=order)
    assert payment.status == Payment.Status.REQUIRES_ACTION
    return order, payment, intent_get(localstripe_server.url, payment.stripe_payment_intent)


def _snapshot(order):
    order.refresh_from_db()
    return {
        "order": (order.status, order.paid_at, order.flagged_reason, order.updated_at),
        "payments": list(
            Payment.objects.order_by("pk").values_list("pk", "status", "stripe_payment_intent", "updated_at")
        ),
        "events": list(OrderEvent.objects.order_by("pk").values_list("pk", flat=True)),
        "webhooks": WebhookEvent.objects.count(),
    }


# --- Real deliveries from localstripe ------------------------------------------------------------------------------


@pytest.fixture
def webhook_endpoint(shipping_methods, live_server, localstripe_server, stripe_settings):
    """localstripe posts every event to the live server, signed with the shop's secret."""
    localstripe_server.register_webhook(url=f"{live_server.url}{WEBHOOK_PATH}", secret=WEBHOOK_SECRET)
    yield live_server
    # localstripe looks the endpoints up after its 1 s delay: events still queued are dropped, not sent to
    # a later test's database.
    localstripe_server.clear_webhooks()
    time.sleep(0.2)


def _delivered(intent_id: str, event_type: str = "payment_intent.succeeded"):
    return WebhookEvent.objects.filter(type=event_type, payload__data__object__id=intent_id, processed_at__isnull=False)


@pytest.mark.django_db(transaction=True)
def test_delivered_succeeded_event_after_a_card_payment_pays_once(webhook_endpoint):
    order = _order()
    services.card_payment_prepare(order=order)
    assert services.card_payment_confirm(order=order, payment_method="pm_card_visa").status == "succeeded"
    intent_id = Payment.objects.get(order=order).stripe_payment_intent

    event = wait_until(lambda: _delivered(intent_id).first(), timeout=10, what="payment_intent.succeeded")

    assert event.result == "succeeded"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert _paid_events(order).count() == 1
    assert Payment.objects.filter(order=order, status=Payment.Status.SUCCEEDED).count() == 1
    # Other event types localstripe sends (customer.created …) are stored and ignored.
    assert set(WebhookEvent.objects.exclude(type__startswith="payment_intent.").values_list("result", flat=True)) <= {
        "ignored"
    }


@pytest.mark.django_db(transaction=True)
def test_delivered_event_alone_pays_when_the_browser_never_returns(webhook_endpoint, localstripe_server):
    order = _order()
    services.card_payment_prepare(order=order)
    result = services.card_payment_confirm(order=order, payment_method=raw_card_payment_method(localstripe_server.url))
    assert result.status == "requires_action"
    authenticate_3ds(localstripe_server.url, result.client_secret)  # card_payment_complete is never called

    intent_id = Payment.objects.get(order=order).stripe_payment_intent
    wait_until(lambda: _delivered(intent_id).exists(), timeout=10, what="payment_intent.succeeded")

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert _paid_events(order).count() == 1
    payment = Payment.objects.get(order=order)
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.stripe_charge.startswith("ch_")


# --- Signatures ----------------------------------------------------------------------------------------------------


def _wrong_secret(body):
    return body, signature_header(body, secret="whsec_someone_else")


def _body_changed(body):
    return body.replace(b'"livemode": false', b'"livemode": true '), signature_header(body)


def _missing(body):
    return body, None


def _empty(body):
    return body, ""


def _too_old(body):
    return body, signature_header(body, timestamp=int(time.time()) - 301)


def _garbage(body):
    return body, "not-a-signature"


def _signed_for_another_time(body):
    header = signature_header(body, timestamp=int(time.time()) - 10)
    return body, header.replace(header.split(",")[0], f"t={int(time.time())}")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tamper",
    [_wrong_secret, _body_changed, _missing, _empty, _too_old, _garbage, _signed_for_another_time],
    ids=lambda f: f.__name__.strip("_"),
)
def test_bad_signature_is_refused_before_anything_is_written(client, stripe_settings, localstripe_server, tamper):
    order, _payment, intent = _authenticated_but_not_applied(localstripe_server)
    body = event_body(event_type="payment_intent.succeeded", intent=intent)
    before = _snapshot(order)

    sent_body, header = tamper(body)
    response = _post(client, sent_body, header)

    assert response.status_code == 400
    assert _snapshot(order) == before
    assert not WebhookEvent.objects.exists()

    # The same event signed correctly is accepted and pays: only the signature made the difference.
    response = _post(client, body, signature_header(body))
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


@pytest.mark.django_db
def test_webhook_accepts_only_post(client, stripe_settings):
    assert client.get(WEBHOOK_PATH).status_code == 405
    assert not WebhookEvent.objects.exists()


# --- Replays and events out of order -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("paid_by", ["card_confirm", "webhook"])
def test_replayed_and_out_of_order_events_pay_exactly_once(client, stripe_settings, localstripe_server, paid_by):
    if paid_by == "card_confirm":
        order = _order()
        services.card_payment_prepare(order=order)
        assert services.card_payment_confirm(order=order, payment_method="pm_card_visa").status == "succeeded"
        intent = intent_get(localstripe_server.url, Payment.objects.get(order=order).stripe_payment_intent)
    else:
        order, _payment, intent = _authenticated_but_not_applied(localstripe_server)
    stale_failure = {
        **intent,
        "status": "requires_payment_method",
        "last_payment_error": {"code": "card_declined", "decline_code": "generic_decline", "message": "declined"},
    }
    succeeded = ("payment_intent.succeeded", intent, f"evt_ok_{uuid.uuid4().hex[:12]}")
    failed = ("payment_intent.payment_failed", stale_failure, f"evt_ko_{uuid.uuid4().hex[:12]}")

    answers = []
    for event_type, data, event_id in [succeeded, failed, failed, succeeded, failed, succeeded]:
        response = _send(client, event_type=event_type, intent=data, event_id=event_id)
        assert response.status_code == 200
        answers.append(response.content.decode())

    # The failure arrives after the success and Stripe's current state (succeeded) decides; replays do nothing.
    assert answers == ["succeeded", "succeeded", "duplicate", "duplicate", "duplicate", "duplicate"]
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.paid_at is not None
    assert _paid_events(order).count() == 1
    payment = Payment.objects.get(order=order)
    assert payment.status == Payment.Status.SUCCEEDED
    assert sorted(WebhookEvent.objects.values_list("event_id", flat=True)) == sorted([succeeded[2], failed[2]])


@pytest.mark.django_db
def test_failed_event_first_still_pays_when_stripe_says_succeeded(client, stripe_settings, localstripe_server):
    order, _payment, intent = _authenticated_but_not_applied(localstripe_server)
    stale = {**intent, "status": "requires_payment_method", "last_payment_error": {"code": "card_declined"}}

    assert _send(client, event_type="payment_intent.payment_failed", intent=stale).content == b"succeeded"
    assert _send(client, event_type="payment_intent.succeeded", intent=intent).content == b"succeeded"

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert _paid_events(order).count() == 1
    assert WebhookEvent.objects.count() == 2


@pytest.mark.django_db
def test_stale_succeeded_event_never_pays_a_failed_intent(client, stripe_settings, localstripe_server):
    order = _order()
    services.card_payment_prepare(order=order)
    pending = services.card_payment_confirm(order=order, payment_method=raw_card_payment_method(localstripe_server.url))
    authenticate_3ds(localstripe_server.url, pending.client_secret, success=False)
    intent = intent_get(localstripe_server.url, Payment.objects.get(order=order).stripe_payment_intent)
    assert intent["status"] == "requires_payment_method"

    forged_copy = {**intent, "status": "succeeded", "last_payment_error": None}
    assert _send(client, event_type="payment_intent.succeeded", intent=forged_copy).content == b"failed"
    assert _send(client, event_type="payment_intent.payment_failed", intent=intent).content == b"failed"

    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT and order.paid_at is None
    assert not _paid_events(order).exists()
    assert Payment.objects.get(order=order).status == Payment.Status.FAILED


@pytest.mark.django_db
def test_event_for_an_unknown_intent_changes_nothing(client, stripe_settings, localstripe_server):
    order = _order()
    services.card_payment_prepare(order=order)
    before = _snapshot(order)
    unknown = {
        "id": "pi_NotOursAtAll00",
        "object": "payment_intent",
        "amount": order.total,
        "currency": "jpy",
        "status": "succeeded",
        "metadata": {},
    }

    response = _send(client, event_type="payment_intent.succeeded", intent=unknown)

    assert response.status_code == 200
    assert response.content == b"unknown payment"
    after = _snapshot(order)
    assert after["webhooks"] == 1 and WebhookEvent.objects.get().result == "unknown payment"
    assert {k: v for k, v in after.items() if k != "webhooks"} == {k: v for k, v in before.items() if k != "webhooks"}


@pytest.mark.django_db
def test_other_event_types_are_stored_and_ignored(client, stripe_settings):
    body = event_body(event_type="customer.created", intent={"id": "cus_x", "object": "customer"})
    response = _post(client, body, signature_header(body))
    assert response.status_code == 200
    assert response.content == b"ignored"
    assert WebhookEvent.objects.get().result == "ignored"


# --- Amount or currency that does not match the order ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("amount_delta", "currency"), [(-4000, "jpy"), (1, "jpy"), (0, "usd")])
def test_intent_not_matching_the_order_flags_it_instead_of_paying(
    client, stripe_settings, localstripe_server, amount_delta, currency
):
    order = _order()
    payment = services.card_payment_prepare(order=order).payment  # open attempt, no PaymentIntent yet
    stripe_client(localstripe_server.url).v1.payment_methods.attach(
        "pm_card_visa", params={"customer": payment.stripe_customer}
    )
    intent = intent_create(
        localstripe_server.url,
        amount=order.total + amount_delta,
        currency=currency,
        customer=payment.stripe_customer,
        payment_method="pm_card_visa",
        payment_method_types=["card"],
        confirm=True,
        metadata={"payment_id": str(payment.pk), "order_id": str(order.pk)},
    )
    assert intent["status"] == "succeeded"

    response = _send(client, event_type="payment_intent.succeeded", intent=intent)

    assert response.status_code == 200
    assert response.content == b"failed"
    order.refresh_from_db()
    assert order.flagged_reason
    assert intent["id"] in order.flagged_reason
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.paid_at is None
    assert not _paid_events(order).exists()
    payment.refresh_from_db()
    assert payment.status != Payment.Status.SUCCEEDED
    assert payment.error_code == "amount_mismatch"
    assert WebhookEvent.objects.get().result == "failed"
    # Staff see why in the order's (internal) timeline.
    assert OrderEvent.objects.filter(order=order, is_public=False, message__contains=intent["id"]).exists()


@pytest.mark.django_db
def test_event_for_a_second_successful_charge_is_recorded_and_flagged(client, stripe_settings, localstripe_server):
    """Two PaymentIntents of one order both succeeded: an attempt left open (its cancel failed when the shopper paid
    with another card) was completed later. The webhook for the late one must be stored and the order flagged for a
    refund; it must not be answered as a "duplicate" with nothing recorded."""
    order = _order()
    services.card_payment_prepare(order=order)
    assert services.card_payment_confirm(order=order, payment_method="pm_card_visa").status == "succeeded"
    first = Payment.objects.get(order=order, status=Payment.Status.SUCCEEDED)
    left_open = Payment.objects.create(
        order=order, method=Order.PaymentMethod.CARD, amount=order.total, stripe_customer=first.stripe_customer
    )
    late = intent_create(
        localstripe_server.url,
        amount=order.total,
        currency=order.currency,
        customer=first.stripe_customer,
        payment_method="pm_card_visa",
        payment_method_types=["card"],
        confirm=True,
        metadata={"payment_id": str(left_open.pk), "order_id": str(order.pk)},
    )
    assert late["status"] == "succeeded"

    event_id = f"evt_late_{uuid.uuid4().hex[:12]}"
    response = _send(client, event_type="payment_intent.succeeded", intent=late, event_id=event_id)

    assert response.status_code == 200
    assert response.content != b"duplicate"
    assert WebhookEvent.objects.filter(event_id=event_id).exists()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert _paid_events(order).count() == 1
    assert order.flagged_reason
