class DrawError(Exception):
    """Something a member or staff asked for that the draw does not allow; the message says why, in their language."""
