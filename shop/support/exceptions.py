class SupportError(Exception):
    """An inquiry or a reply cannot be written; the message is for the person."""
