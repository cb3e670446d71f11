from .selectors import cart_item_count


def cart_summary(request):
    return {"cart_count": lambda: cart_item_count(user=request.user, session=request.session)}
