class ReviewError(Exception):
    """A review cannot be written or voted on; the message is for the person."""
