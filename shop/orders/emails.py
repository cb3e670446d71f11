"""E-mails about an order: building them in the order's language, and the shipped notice.

The order confirmation is built in `payments.emails` because it shows the shop's bank account (payments' data);
it reuses the helpers here.
"""

import datetime
import re

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .links import order_private_path
from .models import Order, OrderEvent

# Stored untranslated, like every order event; its presence means the shipped e-mail went out.
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


def order_email_build(*, order: Order, template: str, subject: str, context: dict) -> EmailMultiAlternatives:
    """A text e-mail with an HTML alternative from `emails/<template>.txt` and `.html`. Call inside override()."""
    text = render_to_string(f"emails/{template}.txt", context)
    # Template tags leave blank lines behind; a plain-text mail reads better without runs of them.
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    html = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[order.email]
    )
    message.attach_alternative(html, "text/html")
    return message


def order_shipped_message(*, order: Order) -> EmailMultiAlternatives:
    with translation.override(order_language(order)):
        subject = _("[%(shop)s] Your order has shipped (order %(number)s)") % {
            "shop": settings.SHOP_NAME,
            "number": order.number,
        }
        return order_email_build(order=order, template="order_shipped", subject=subject, context=order_context(order))


def order_shipped_email_send(*, order_id: int) -> bool:
    """Send the shipped notice once. True if it was sent now.

    The order row is locked so two deliveries of the task cannot both find no event; a failed send rolls the event
    back, so a retry sends it.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id, shipped_at__isnull=False).first()
        if order is None or order.events.filter(message=SHIPPED_EMAIL_SENT).exists():
            return False
        OrderEvent.objects.create(order=order, message=SHIPPED_EMAIL_SENT, is_public=False)
        order_shipped_message(order=order).send()
    return True
