class SocialError(Exception):
    """A problem the person can fix or should be told about; the message is shown on the page."""
