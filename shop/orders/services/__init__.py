"""Writes of the orders app: the cart, placing orders and moving them through their statuses."""

from .cart import (  # noqa: F401
    SESSION_CART_KEY,
    cart_add,
    cart_add_for_shopper,
    cart_get_or_create,
    cart_line_remove,
    cart_line_set_quantity,
    cart_merge_guest_into_user,
)
from .orders import (  # noqa: F401
    CheckoutDetails,
    order_apply_discount,
    order_cancel,
    order_change_payment_method,
    order_flag,
    order_mark_delivered,
    order_mark_paid,
    order_mark_processing,
    order_mark_shipped,
    order_place_from_cart,
    order_record_refund,
    order_release_expired_reservations,
    shipping_quote,
)
