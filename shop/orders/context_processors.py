from functools import cache

from .selectors import cart_item_count


def cart_summary(request):
    # Lazy (pages that never show the badge run no query) and read once however often a template uses it.
    @cache
    def count() -> int:
        # The user is read at the start of the request, with their units: current on a GET, which changes no cart.
        read_now = request.method in ("GET", "HEAD")
        return cart_item_count(user=request.user, session=request.session, user_read_now=read_now)

    return {"cart_count": count}
