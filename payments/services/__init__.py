"""Checkout and payments: placing the order with a payment method (`checkout`), card payments through Stripe
(`cards`, every state change applied in `intents`), manual methods (`manual`), webhooks and reconciliation
(`webhooks`) and refunds (`refunds`)."""

from .cards import (  # noqa: F401
    CardCheckout,
    card_payment_complete,
    card_payment_confirm,
    card_payment_prepare,
    payments_cancel_open,
)
from .checkout import (  # noqa: F401
    MethodOption,
    MethodTerms,
    checkout_place_order,
    payment_method_fees,
    payment_method_options,
    payment_method_switch,
)
from .intents import CardResult, decline_message  # noqa: F401
from .manual import manual_payment_mark_paid  # noqa: F401
from .refunds import refund_order  # noqa: F401
from .webhooks import HANDLED_EVENTS, payments_reconcile, webhook_receive  # noqa: F401
