class CartError(Exception):
    """A cart change that cannot be made; the message is safe to show to the shopper."""


class CheckoutError(Exception):
    """The order cannot be placed as asked (empty cart, sold out…); the message is safe to show."""


class OrderStateError(Exception):
    """An action that does not fit the order's current status (e.g. shipping a cancelled order)."""
