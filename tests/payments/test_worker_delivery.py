"""Payment events handled with a real Celery worker: every Stripe event delivered three times, out of order,
gives one paid transition and one confirmation e-mail."""

import random
import time

import pytest

from payments import services
from shop.orders.models import Order
from tests.factories import VariantFactory

from .support import event_body, intent_get, place_order, signature_header, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_events_three_times_out_of_order_give_one_paid_transition_and_one_email(
    client, celery_worker_process, stripe_settings, localstripe_server, shipping_methods
):
    order = place_order(VariantFactory(price=4200, stock=3))
    services.card_payment_prepare(order=order)
    assert services.card_payment_confirm(order=order, payment_method="pm_card_visa").status == "succeeded"
    intent = intent_get(localstripe_server.url, order.payments.get().stripe_payment_intent)

    deliveries = [
        (event_id, event_type)
        for event_id, event_type in (
            ("evt_ok_1", "payment_intent.succeeded"),
            ("evt_fail_1", "payment_intent.payment_failed"),
        )
        for _ in range(3)
    ]
    random.Random(7).shuffle(deliveries)
    for event_id, event_type in deliveries:
        body = event_body(event_type=event_type, intent=intent, event_id=event_id)
        response = client.post(
            "/payments/webhooks/stripe/",
            body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature_header(body),
        )
        assert response.status_code == 200

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.events.filter(status=Order.Status.PAID).count() == 1
    wait_until(lambda: celery_worker_process.sent_mail(), timeout=20, what="the confirmation e-mail")
    time.sleep(2)  # any duplicate would have arrived by now
    mails = celery_worker_process.sent_mail()
    assert len(mails) == 1, celery_worker_process.log()
    assert order.number in mails[0] and "hanako@example.jp" in mails[0]
