"""Signed order links: a guest opens their order from the e-mail on any device without an account."""

from django.core import signing
from django.utils.crypto import constant_time_compare

_SALT = "shop.orders.access"


def order_access_key(number: str) -> str:
    return signing.Signer(salt=_SALT).signature(number)


def order_access_key_valid(number: str, key: str) -> bool:
    return bool(key) and constant_time_compare(order_access_key(number), key)


def order_private_path(order) -> str:
    """The order page with its access key, for e-mails."""
    return f"{order.get_absolute_url()}?k={order_access_key(order.number)}"
