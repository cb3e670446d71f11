"""Webhook storm: Stripe events (300 here, 1,000 with WEBHOOK_STORM_EVENTS=1000), each delivered three times, all
shuffled → one state change each.

The PaymentIntents really succeeded on localstripe (confirmed with a test card), but the shop has not applied them
yet, as when the shopper's browser never came back: only the webhook can pay the orders. Every delivery is signed
like Stripe signs it and goes through the real view.
"""

import os
import random

import pytest

from payments.models import Payment, WebhookEvent
from shop.orders.models import Order, OrderEvent
from tests.factories import VariantFactory
from tests.payments.support import event_body, intent_create, place_order, signature_header

pytestmark = pytest.mark.django_db

EVENTS = int(os.environ.get("WEBHOOK_STORM_EVENTS", "300"))  # 1,000 in bench/RESULTS.md (about 5 minutes)
WEBHOOK_PATH = "/payments/webhooks/stripe/"


def test_each_event_three_times_out_of_order_changes_each_order_once(
    client, stripe_settings, localstripe_server, shipping_methods
):
    variant = VariantFactory(price=1980, stock=EVENTS * 2)
    deliveries = []
    for n in range(EVENTS):
        order = place_order(variant)
        payment = Payment.objects.create(order=order, method=Order.PaymentMethod.CARD,
                                         amount=order.total)  # fmt: skip
        intent = intent_create(
            localstripe_server.url,
            amount=order.total,
            currency="jpy",
            payment_method="pm_card_visa",
            payment_method_types=["card"],
            confirm=True,
            metadata={"order_id": str(order.pk), "payment_id": str(payment.pk)},
        )
        assert intent["status"] == "succeeded"
        body = event_body(event_type="payment_intent.succeeded", intent=intent, event_id=f"evt_storm_{n:05d}")
        deliveries += [body] * 3
    random.Random(20261123).shuffle(deliveries)

    answers = [
        client.post(WEBHOOK_PATH, data=body, content_type="application/json",
                    HTTP_STRIPE_SIGNATURE=signature_header(body)).status_code
        for body in deliveries
    ]  # fmt: skip

    assert answers == [200] * (3 * EVENTS)
    assert WebhookEvent.objects.filter(event_id__startswith="evt_storm_").count() == EVENTS
    assert Order.objects.filter(status=Order.Status.PAID, paid_at__isnull=False).count() == EVENTS
    assert Payment.objects.filter(status=Payment.Status.SUCCEEDED).count() == EVENTS
    paid_events = OrderEvent.objects.filter(status=Order.Status.PAID).values_list("order_id", flat=True)
    assert sorted(paid_events) == sorted(Order.objects.values_list("pk", flat=True))
