from django.utils.functional import SimpleLazyObject

from . import privacy_selectors


def privacy(request):
    """`analytics_allowed` for the analytics tag and `show_cookie_banner`; both lazy, no query unless used."""
    cookie = request.COOKIES.get(privacy_selectors.ANALYTICS_COOKIE, "")

    def stored_choice() -> bool | None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            choice = privacy_selectors.analytics_choice(user=user)
            if choice is not None:
                return choice
        if cookie in ("granted", "denied"):
            return cookie == "granted"
        return None

    choice = SimpleLazyObject(lambda: {"value": stored_choice()})
    return {
        "analytics_allowed": SimpleLazyObject(lambda: bool(choice["value"])),
        "show_cookie_banner": SimpleLazyObject(lambda: choice["value"] is None),
    }
