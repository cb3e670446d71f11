from functools import cache

from .selectors import cart_item_count


def cart_summary(request):
    # Lazy (pages that never show the badge run no query) and read once however often a template uses it.
    @cache
    def count() -> int:
        return cart_item_count(user=request.user, session=request.session)

    return {"cart_count": count}
