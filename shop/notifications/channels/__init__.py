"""Delivery channels. Each `send(notification)` returns normally when the provider accepted the message and
raises DeliveryError otherwise; `permanent` errors are not retried (an address that does not exist, a blocked
LINE user), the others are retried with backoff."""


class DeliveryError(Exception):
    def __init__(self, error_type: str, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.permanent = permanent


def send(notification) -> None:
    from ..models import Channel
    from . import email, line

    if notification.channel == Channel.EMAIL:
        email.send(notification)
    elif notification.channel == Channel.LINE:
        line.send(notification)
    else:
        raise DeliveryError("UnknownChannel", f"No channel {notification.channel!r}", permanent=True)
