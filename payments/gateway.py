"""The only module that talks to Stripe. Everything it returns is plain data; nothing else imports `stripe`.

Works the same against real Stripe and against localstripe (STRIPE_API_BASE), using only the calls both support:
customers, SetupIntents, PaymentMethods, PaymentIntents with payment_method_types=["card"], refunds, webhooks.
"""

from dataclasses import dataclass

import stripe
from django.conf import settings


class GatewayError(Exception):
    """Stripe refused or could not be reached. `code` is Stripe's error code when there is one."""

    def __init__(self, message: str, *, code: str = "", payment_intent: str = ""):
        super().__init__(message)
        self.code = code
        self.payment_intent = payment_intent


class CardError(GatewayError):
    """The card was declined or failed authentication."""


class SignatureError(Exception):
    """A webhook whose signature, timestamp or body does not check out."""


@dataclass(frozen=True)
class IntentState:
    id: str
    status: str
    amount: int
    currency: str
    client_secret: str
    charge_id: str = ""
    card_brand: str = ""
    card_last4: str = ""
    card_fingerprint: str = ""
    error_code: str = ""
    error_message: str = ""
    metadata: dict | None = None


@dataclass(frozen=True)
class SavedCard:
    id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    fingerprint: str = ""


def _client() -> stripe.StripeClient:
    # No automatic retries: localstripe ignores idempotency keys, so a retried create could charge twice.
    # The shop is idempotent itself (one PaymentIntent per stored attempt) and reconciles lost answers.
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses=base, max_network_retries=0)


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_PUBLISHABLE_KEY)


def _wrap(error: stripe.StripeError) -> GatewayError:
    body = getattr(error, "error", None)
    # decline_code ("insufficient_funds"…) is more precise than code ("card_declined") when Stripe gives it.
    code = getattr(body, "decline_code", None) or getattr(error, "code", "") or ""
    payment_intent = getattr(getattr(body, "payment_intent", None), "id", "") or ""
    cls = CardError if isinstance(error, stripe.CardError) else GatewayError
    return cls(error.user_message or str(error), code=code, payment_intent=payment_intent)


def _intent_state(intent) -> IntentState:
    data = intent.to_dict() if hasattr(intent, "to_dict") else dict(intent)
    charge = data.get("latest_charge")
    charge = charge if isinstance(charge, dict) else {}
    method = data.get("payment_method")
    card = (charge.get("payment_method_details") or {}).get("card") or (
        (method.get("card") or {}) if isinstance(method, dict) else {}
    )
    error = data.get("last_payment_error") or {}
    return IntentState(
        id=data["id"],
        status=data["status"],
        amount=int(data["amount"]),
        currency=str(data["currency"]).upper(),
        client_secret=data.get("client_secret") or "",
        charge_id=charge.get("id", "") if charge else (data.get("latest_charge") or ""),
        card_brand=card.get("brand", ""),
        card_last4=card.get("last4", ""),
        card_fingerprint=card.get("fingerprint", "") or "",
        error_code=error.get("decline_code") or error.get("code") or "",
        error_message=error.get("message") or "",
        metadata=data.get("metadata") or {},
    )


def ping() -> str:
    """A read-only call that proves the key works (for `manage.py check_integrations`)."""
    try:
        _client().v1.customers.list(params={"limit": 1})
    except stripe.StripeError as error:
        raise _wrap(error) from error
    return settings.STRIPE_API_BASE or "api.stripe.com"


def customer_create(*, email: str) -> str:
    try:
        return _client().v1.customers.create(params={"email": email}).id
    except stripe.StripeError as error:
        raise _wrap(error)


def setup_intent_create(*, customer: str) -> str:
    """A SetupIntent for the card Element; returns its client secret."""
    try:
        intent = _client().v1.setup_intents.create(params={"customer": customer, "payment_method_types": ["card"]})
    except stripe.StripeError as error:
        raise _wrap(error)
    return intent.client_secret


def payment_method_attach(*, payment_method: str, customer: str) -> SavedCard:
    """Attach a card to the customer (SetupIntents on localstripe don't) and describe it."""
    client = _client()
    try:
        method = client.v1.payment_methods.retrieve(payment_method)
        if method.to_dict().get("customer") not in (None, customer):
            raise GatewayError("This card belongs to another customer.", code="payment_method_not_owned")
        method = client.v1.payment_methods.attach(payment_method, params={"customer": customer})
    except stripe.StripeError as error:
        raise _wrap(error)
    return _saved_card(method.to_dict())


def _saved_card(data: dict) -> SavedCard:
    card = data.get("card") or {}
    return SavedCard(
        id=data["id"],
        brand=card.get("brand", ""),
        last4=card.get("last4", ""),
        exp_month=int(card.get("exp_month") or 0),
        exp_year=int(card.get("exp_year") or 0),
        fingerprint=card.get("fingerprint", "") or "",
    )


def customer_cards(*, customer: str) -> list[SavedCard]:
    try:
        result = _client().v1.payment_methods.list(params={"customer": customer, "type": "card"})
    except stripe.StripeError as error:
        raise _wrap(error)
    return [_saved_card(item.to_dict()) for item in result.data]


def payment_intent_confirm(
    *, amount: int, currency: str, customer: str, payment_method: str, metadata: dict[str, str]
) -> IntentState:
    """Create and confirm a PaymentIntent server-side; `requires_action` means the browser must authenticate."""
    params = {
        "amount": amount,
        "currency": currency.lower(),
        "customer": customer,
        "payment_method": payment_method,
        "payment_method_types": ["card"],
        "confirm": True,
        "metadata": metadata,
        "expand": ["latest_charge", "payment_method"],
    }
    try:
        return _intent_state(_client().v1.payment_intents.create(params=params))
    except stripe.StripeError as error:
        raise _wrap(error)


def payment_intent_get(*, payment_intent: str) -> IntentState:
    try:
        intent = _client().v1.payment_intents.retrieve(
            payment_intent, params={"expand": ["latest_charge", "payment_method"]}
        )
    except stripe.StripeError as error:
        raise _wrap(error)
    return _intent_state(intent)


def payment_intent_cancel(*, payment_intent: str) -> None:
    try:
        _client().v1.payment_intents.cancel(payment_intent)
    except stripe.StripeError as error:
        raise _wrap(error)


def refund_create(*, payment_intent: str, amount: int, metadata: dict[str, str]) -> tuple[str, str]:
    """Returns (refund id, status)."""
    try:
        refund = _client().v1.refunds.create(
            params={"payment_intent": payment_intent, "amount": amount, "metadata": metadata}
        )
    except stripe.StripeError as error:
        raise _wrap(error)
    return refund.id, refund.status


def webhook_event_parse(*, payload: bytes, signature: str | None) -> dict:
    """Verify the Stripe-Signature header (HMAC and a 5-minute timestamp window) and return the event as a dict."""
    if not signature:
        raise SignatureError("missing Stripe-Signature header")
    try:
        event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=300)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise SignatureError(str(error))
    return event.to_dict()
