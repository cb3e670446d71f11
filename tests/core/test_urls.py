"""shop/urls.py lists the catalogue first, for speed: that is only safe while no two URL patterns match one path."""

import re

from django.urls import URLResolver, get_resolver, path
from django.urls.resolvers import RoutePattern

SAMPLES = {
    "slug": "sample-7",
    "int": "7",
    "str": "sample",
    "path": "a/b",
    "uuid": "12345678-1234-5678-1234-567812345678",
}


def _examples(resolver, prefix=""):
    """(an example path, the pattern) for every route pattern: each converter filled with a sample value."""
    for pattern in resolver.url_patterns:
        if not isinstance(pattern.pattern, RoutePattern):
            continue  # regex patterns: none of the shop's own
        part = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES[m.group(1) or "str"], str(pattern.pattern))
        if isinstance(pattern, URLResolver):
            yield from _examples(pattern, prefix + part)
        else:
            yield prefix + part, pattern


def shadowed(resolver) -> list[str]:
    """Example paths that resolve to another pattern than their own (one listed earlier that also matches)."""
    wrong = []
    for example, pattern in _examples(resolver):
        match = resolver.resolve("/" + example)
        if match.func is not pattern.callback:
            wrong.append(f"/{example}: {pattern.name} is shadowed by {match.url_name}")
    return wrong


def test_no_url_pattern_of_the_shop_shadows_another():
    assert shadowed(get_resolver()) == []


def test_shadowing_is_found():
    def first(request, slug): ...

    def second(request, slug): ...

    class Urls:
        urlpatterns = [path("p/<slug:slug>/", first, name="first"), path("p/<str:slug>/", second, name="second")]

    assert shadowed(get_resolver(Urls)) == ["/p/sample/: second is shadowed by first"]
