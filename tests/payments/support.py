"""Helpers shared by the payment and checkout tests: orders placed through the real services, localstripe calls
made the way a browser or Stripe itself would, and hand-signed webhook events. Nothing here replaces shop code."""

import hashlib
import hmac
import json
import time
import urllib.request
import uuid

import stripe

from payments import services
from shop.orders import services as order_services
from shop.orders.models import Cart, Order, ShippingMethod

WEBHOOK_SECRET = "whsec_test_shop"  # what the `stripe_settings` fixture configures
THREE_D_SECURE_CARD = "4000002500003155"


def details(*, payment_method: str = Order.PaymentMethod.CARD, shipping: str = "standard", **overrides):
    values = {
        "email": "hanako@example.jp",
        "name": "山田 花子",
        "postal_code": "150-0001",
        "prefecture": "東京都",
        "city": "渋谷区",
        "street": "神宮前1-2-3",
        "building": "つなぐビル 401",
        "phone": "09012345678",
        "shipping_method_id": ShippingMethod.objects.get(code=shipping).pk,
        "payment_method": payment_method,
        "language": "ja",
    }
    values.update(overrides)
    return order_services.CheckoutDetails(**values)


def place_order(variant, *, quantity: int = 1, payment_method: str = Order.PaymentMethod.CARD) -> Order:
    """A guest's order placed the way the review page does it: a cart, then checkout_place_order with a new token."""
    cart = Cart.objects.create()
    order_services.cart_add(cart=cart, variant_id=variant.pk, quantity=quantity)
    return services.checkout_place_order(
        cart=cart, checkout_token=uuid.uuid4(), details=details(payment_method=payment_method)
    )


def stripe_client(base_url: str) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_shop", base_addresses={"api": base_url}, max_network_retries=0)


def raw_card_payment_method(base_url: str, number: str = THREE_D_SECURE_CARD) -> str:
    """POST /v1/payment_methods with a raw card number, as Stripe.js does in the browser."""
    method = stripe_client(base_url).v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    )
    return method.id


def intents_of_customer(base_url: str, customer: str) -> list[dict]:
    """Every PaymentIntent localstripe holds for this customer."""
    client = stripe_client(base_url)
    return [
        intent.to_dict()
        for intent in client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
        if intent.to_dict().get("customer") == customer
    ]


def authenticate_3ds(base_url: str, client_secret: str, *, success: bool = True) -> dict:
    """What the fake Stripe.js does when the shopper clicks "Complete/Fail authentication" in the 3-D Secure box."""
    intent_id = client_secret.split("_secret_")[0]
    request = urllib.request.Request(
        f"{base_url}/v1/payment_intents/{intent_id}/_authenticate?success={'true' if success else 'false'}",
        data=json.dumps({"key": "pk_test_shop", "client_secret": client_secret}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def intent_create(base_url: str, **params) -> dict:
    return stripe_client(base_url).v1.payment_intents.create(params=params).to_dict()


def intent_get(base_url: str, intent_id: str) -> dict:
    return stripe_client(base_url).v1.payment_intents.retrieve(intent_id).to_dict()


def event_body(*, event_type: str, intent: dict, event_id: str | None = None, created: int | None = None) -> bytes:
    event = {
        "id": event_id or f"evt_test_{uuid.uuid4().hex[:20]}",
        "object": "event",
        "api_version": "2017-08-15",
        "created": created or int(time.time()),
        "livemode": False,
        "type": event_type,
        "data": {"object": intent},
    }
    return json.dumps(event).encode()


def signature_header(body: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe's scheme: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the endpoint secret>."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def wait_until(condition, *, timeout: float = 10.0, interval: float = 0.1, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
