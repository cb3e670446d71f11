"""E-mail: plain text plus an HTML alternative; marketing carries a one-click List-Unsubscribe (RFC 8058)."""

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from . import DeliveryError


def message_build(notification) -> EmailMultiAlternatives:
    headers = {}
    if notification.unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{notification.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers=headers,
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    return message


def send(notification) -> None:
    try:
        message_build(notification).send()
    except smtplib.SMTPRecipientsRefused as error:
        raise DeliveryError(type(error).__name__, str(error)[:2000], permanent=True)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(type(error).__name__, str(error)[:2000])
