"""Staff admin for orders, payments, refunds, payment settings and Stripe webhook events.

`orders` registers the order admin (its list filters in `filters`, its actions in `order_actions`, its CSV in
`order_export`, its refund page in `order_refunds`); `records` the payments, refunds and webhook events staff look
at; `payment_settings` the one row of settings. Importing this package (admin autodiscover does) registers them all.
"""

from .orders import OrderAdmin  # noqa: F401 - importing registers the ModelAdmins
from .payment_settings import PaymentSettingsAdmin  # noqa: F401
from .records import PaymentAdmin, RefundAdmin, WebhookEventAdmin  # noqa: F401
