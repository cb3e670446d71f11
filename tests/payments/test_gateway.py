"""payments.gateway with the real stripe SDK: errors shaped exactly as Stripe sends them (localstripe's declines
carry neither the PaymentIntent nor a decline code, so these are built from Stripe's documented error body), and the
webhook signature check."""

import time

import pytest
import stripe
from django.utils import translation
from django.utils.translation import gettext

from payments import gateway, services

from .support import event_body, signature_header


def _card_error(*, code="card_declined", decline_code=None, payment_intent="pi_3Test000000000001"):
    body = {
        "error": {
            "type": "card_error",
            "code": code,
            "message": "Your card has insufficient funds.",
            "payment_intent": {"id": payment_intent, "object": "payment_intent", "status": "requires_payment_method"},
        }
    }
    if decline_code:
        body["error"]["decline_code"] = decline_code
    return stripe.CardError(body["error"]["message"], None, code, http_status=402, json_body=body)


def test_declined_card_error_keeps_the_payment_intent_id():
    """Stripe names the PaymentIntent of a declined confirmation in the error; the failed attempt must keep it."""
    wrapped = gateway._wrap(_card_error())
    assert isinstance(wrapped, gateway.CardError)
    assert wrapped.payment_intent == "pi_3Test000000000001"


def test_decline_code_picks_the_specific_message():
    """Stripe reports insufficient funds as code=card_declined, decline_code=insufficient_funds."""
    wrapped = gateway._wrap(_card_error(decline_code="insufficient_funds"))
    with translation.override("ja"):
        expected = gettext("Your card has insufficient funds. Please try another card or another payment method.")
        assert services.decline_message(wrapped.code) == expected


def test_other_stripe_errors_are_gateway_errors():
    error = stripe.APIConnectionError("Could not connect")
    wrapped = gateway._wrap(error)
    assert type(wrapped) is gateway.GatewayError


def test_webhook_signature_check(settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_shop"
    body = event_body(event_type="payment_intent.succeeded", intent={"id": "pi_x", "object": "payment_intent"})
    event = gateway.webhook_event_parse(payload=body, signature=signature_header(body))
    assert event["type"] == "payment_intent.succeeded"
    assert event["data"]["object"]["id"] == "pi_x"
    assert isinstance(event, dict)

    for signature in (
        None,
        "",
        signature_header(body, secret="whsec_other"),
        signature_header(body, timestamp=int(time.time()) - 301),
        signature_header(body + b" "),
    ):
        with pytest.raises(gateway.SignatureError):
            gateway.webhook_event_parse(payload=body, signature=signature)
    with pytest.raises(gateway.SignatureError):
        gateway.webhook_event_parse(payload=b"not json", signature=signature_header(b"not json"))
