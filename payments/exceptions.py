class PaymentError(Exception):
    """A payment step that cannot go ahead; the message is safe to show to the shopper or staff member."""
