class CatalogError(Exception):
    """An error a shopper or staff member can cause; the message is safe to show."""
