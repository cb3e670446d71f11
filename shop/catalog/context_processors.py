from . import selectors


def category_tree_for_request(request) -> list[selectors.CategoryNode]:
    """The category tree, read once per request however many places show it."""
    tree = getattr(request, "_category_tree", None)
    if tree is None:
        tree = request._category_tree = selectors.category_tree()
    return tree


def navigation(request):
    return {"nav_categories": lambda: category_tree_for_request(request)}
