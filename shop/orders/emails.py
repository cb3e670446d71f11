"""Messages about an order: their common context in the order's language, and the shipped notice.

The order confirmation is built in `payments.emails` because it shows the shop's bank account (payments' data);
it reuses the helpers here. Both go through the notifications outbox (e-mail, and LINE when the member linked it).
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from shop.notifications.services import notification_enqueue

from .links import order_private_path
from .models import Order, OrderEvent

# Stored untranslated, like every order event; its presence means the shipped notice was written to the outbox.
SHIPPED_EMAIL_SENT = gettext_noop("Shipped e-mail sent")

_DEFAULT_SITE_URL = "http://127.0.0.1:8000"


def site_url(path: str) -> str:
    """Absolute link for e-mails, which have no request: SITE_URL, else the local demo address."""
    return (settings.SITE_URL or _DEFAULT_SITE_URL).rstrip("/") + path


def order_language(order: Order) -> str:
    languages = {code for code, _name in settings.LANGUAGES}
    return order.language if order.language in languages else settings.LANGUAGE_CODE


def day_label(day: datetime.date | None) -> str:
    """'2026年11月30日（月）' / 'Nov. 30, 2026 (Mon)' in the active language."""
    if day is None:
        return ""
    return _("%(date)s (%(weekday)s)") % {"date": date_format(day, "DATE_FORMAT"), "weekday": date_format(day, "D")}


def order_context(order: Order) -> dict:
    """What every order e-mail template gets. Call with the order's language active."""
    return {
        "order": order,
        "lines": list(order.lines.all()),
        "order_url": site_url(order_private_path(order)),
        "shop_name": settings.SHOP_NAME,
        "delivery_from": day_label(order.delivery_date_min),
        "delivery_to": day_label(order.delivery_date_max),
    }


def order_shipped_context(*, order: Order) -> dict:
    """What templates/notifications/order_shipped/ shows; on LINE a card with the tracking number."""
    language = order_language(order)
    with translation.override(language):
        context = order_context(order)
        tracking = [
            f"{label}: {value}"
            for label, value in ((_("Carrier"), order.carrier), (_("Tracking number"), order.tracking_number))
            if value
        ]
        context.update(
            language=language,
            customer_name=order.ship_name,
            order_number=order.number,
            line_card={
                "title": _("Order %(number)s has shipped") % {"number": order.number},
                "text": "\n".join(tracking),
                "button_label": _("Your order page"),
                "button_url": context["order_url"],
            },
        )
    return context


def order_shipped_notice_send(*, order_id: int) -> bool:
    """Write the shipped notice to the outbox once. True if it was written now.

    The order row is locked so two deliveries of the task cannot both find no event; the event and the outbox rows
    share the transaction, and the outbox's dedupe key guards the same once more.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id, shipped_at__isnull=False).first()
        if order is None or order.events.filter(message=SHIPPED_EMAIL_SENT).exists():
            return False
        OrderEvent.objects.create(order=order, message=SHIPPED_EMAIL_SENT, is_public=False)
        notification_enqueue(
            kind="order_shipped",
            user=order.user,
            email=order.email,
            context=order_shipped_context(order=order),
            dedupe_key=f"order_shipped:{order.pk}",
            source=f"order:{order.number}",
        )
    return True
