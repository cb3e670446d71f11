"""Numbers from query strings and cookies, as views and tags read them: bad input is "not given", never an error."""


def positive_int(text: str | None) -> int | None:
    """The whole number in `text` if it is 1 or more, else None (missing, empty, not a number, 0 or less). An absent
    value returns at once, without raising and catching a ValueError (most requests have none)."""
    if not text:
        return None
    try:
        number = int(text)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
