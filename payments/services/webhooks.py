"""Hearing from Stripe: webhook events stored by event id and applied once, and reconciliation that asks Stripe about
attempts still open, for a webhook that never came."""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from shop.orders.models import Order

from .. import gateway
from ..models import Payment, WebhookEvent
from .intents import apply_intent

logger = logging.getLogger(__name__)

Method = Order.PaymentMethod

HANDLED_EVENTS = {"payment_intent.succeeded", "payment_intent.payment_failed"}


def webhook_receive(*, payload: bytes, signature: str | None) -> str:
    """Verify, store by event id and apply a Stripe event. Raises gateway.SignatureError before writing anything."""
    event = gateway.webhook_event_parse(payload=payload, signature=signature)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(event_id=event["id"], type=event["type"], payload=event)
        except IntegrityError:
            return "duplicate"
        result = _webhook_apply(event)
        record.processed_at = timezone.now()
        record.result = result[:200]
        record.save(update_fields=["processed_at", "result"])
    return result


def _webhook_apply(event: dict) -> str:
    if event["type"] not in HANDLED_EVENTS:
        return "ignored"
    intent = event["data"]["object"]
    payment = Payment.objects.select_for_update().filter(stripe_payment_intent=intent["id"]).first()
    if payment is None:
        payment_id = (intent.get("metadata") or {}).get("payment_id", "")
        payment = (
            Payment.objects.select_for_update().filter(pk=int(payment_id)).first() if payment_id.isdigit() else None
        )
        if payment is None:
            return "unknown payment"
        if payment.stripe_payment_intent not in (None, intent["id"]):
            return "payment belongs to another intent"
        payment.stripe_payment_intent = intent["id"]
        payment.save(update_fields=["stripe_payment_intent", "updated_at"])
    # The event's copy may be stale (events can arrive out of order); Stripe's current state decides.
    state = gateway.payment_intent_get(payment_intent=intent["id"])
    return apply_intent(payment=payment, state=state).status


def payments_reconcile(*, older_than: datetime.timedelta = datetime.timedelta(minutes=2)) -> int:
    """Ask Stripe about card attempts still open, so a lost webhook never leaves a paid order unfulfilled."""
    cutoff = timezone.now() - older_than
    open_ids = list(
        Payment.objects.filter(
            method=Method.CARD,
            status__in=[Payment.Status.PENDING, Payment.Status.REQUIRES_ACTION],
            updated_at__lt=cutoff,
        )
        .exclude(stripe_payment_intent=None)
        .values_list("pk", flat=True)
    )
    changed = 0
    for payment_id in open_ids:
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(pk=payment_id)
            if payment.status not in {Payment.Status.PENDING, Payment.Status.REQUIRES_ACTION}:
                continue
            try:
                state = gateway.payment_intent_get(payment_intent=payment.stripe_payment_intent)
            except gateway.GatewayError as error:
                logger.warning("Reconcile: could not read %s: %s", payment.stripe_payment_intent, error)
                continue
            before = payment.status
            apply_intent(payment=payment, state=state)
            changed += payment.status != before
    return changed
