import pytest
from django.urls import NoReverseMatch, URLResolver, get_resolver, get_urlconf, reverse, set_script_prefix
from django.urls.converters import IntConverter

from shop.core import links
from shop.core.links import reverse_cached


def test_same_paths_as_reverse():
    assert reverse_cached("catalog:product", slug="knit-01") == reverse("catalog:product", kwargs={"slug": "knit-01"})
    assert reverse_cached("catalog:home") == reverse("catalog:home") == "/"
    assert reverse_cached("legal:page", "privacy") == reverse("legal:page", args=["privacy"])


def test_the_script_prefix_is_part_of_the_key():
    assert reverse_cached("catalog:product", slug="a") == "/p/a/"
    set_script_prefix("/shop/")
    try:
        assert reverse_cached("catalog:product", slug="a") == "/shop/p/a/"
    finally:
        set_script_prefix("/")
    assert reverse_cached("catalog:product", slug="a") == "/p/a/"


def test_unknown_names_still_raise():
    with pytest.raises(NoReverseMatch):
        reverse_cached("catalog:no-such-page")


def test_another_urlconf_is_another_key(settings):
    with pytest.raises(NoReverseMatch):
        reverse_cached("bench_ceiling")
    settings.ROOT_URLCONF = "bench.ceiling.urls"  # the shop's URLs plus the benchmark's ceiling page
    assert reverse_cached("bench_ceiling") == "/_bench/ceiling/"


def _named_patterns(resolver=None, namespace=""):
    """(name with its namespaces, {keyword: converter}) of every named pattern of the shop's URLconf."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_patterns(pattern, inner)
        elif pattern.name:
            yield f"{namespace}{pattern.name}", dict(getattr(pattern.pattern, "converters", {}))


def _both(name, kwargs):
    """(reverse's answer, reverse_cached's), an exception's type standing for the answer."""
    answers = []
    for function in (lambda: reverse(name, kwargs=kwargs), lambda: reverse_cached(name, **kwargs)):
        try:
            answers.append(function())
        except NoReverseMatch as exc:
            answers.append(type(exc))
    return answers


def test_every_pattern_with_keywords_gives_reverse_s_path_for_plain_and_other_values():
    """Plain values fill in a URL made once with markers; the rest go through reverse (quoted, or refused)."""
    checked = 0
    for name, converters in _named_patterns():
        if not converters:
            continue
        for value in ("knit-01", "A_b-9", "123", "ニット", "a b", "a/b", "x" * 40):
            kwargs = dict.fromkeys(converters, value)
            expected, ours = _both(name, kwargs)
            assert ours == expected, (name, value)
            assert _both(name, kwargs)[1] == expected  # again, from what was remembered
            checked += 1
    assert checked > 50


def test_urls_are_made_with_markers_only_for_patterns_that_take_any_plain_value(settings):
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    assert links._url_parts(urlconf, "/", "catalog:product", ("slug",)) == ("/p/", "slug", "/")
    int_patterns = [
        (name, tuple(sorted(converters)))
        for name, converters in _named_patterns()
        if any(isinstance(converter, IntConverter) for converter in converters.values())
    ]
    assert int_patterns
    for name, names in int_patterns:
        assert links._url_parts(urlconf, "/", name, names) is None


@pytest.mark.django_db
def test_a_request_reads_its_script_prefix_once_and_the_next_request_reads_its_own():
    """reverse_cached reads Django's URLconf and script prefix on its first call in a request (not per call): the
    pages of a shop served under /shop link under /shop, and a request served at the root right after links at the
    root. Through WSGIHandler, which sets the prefix from SCRIPT_NAME as gunicorn's requests do."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.test.client import FakePayload

    from tests.factories import ProductFactory

    product = ProductFactory(slug="knit-01", category__slug="knit")
    handler = WSGIHandler()

    def page(script_name: str) -> str:
        environ = {
            "REQUEST_METHOD": "GET",
            "SCRIPT_NAME": script_name,
            "PATH_INFO": f"/p/{product.slug}/",
            "QUERY_STRING": "",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.input": FakePayload(b""),
            "wsgi.url_scheme": "http",
        }
        statuses = []
        result = handler(environ, lambda status, headers, exc_info=None: statuses.append(status))
        try:
            body = b"".join(result).decode()
        finally:
            result.close()  # request_finished
        assert statuses == ["200 OK"]
        return body

    # As Django's test client does: the test's transaction stays open across the requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        under_shop = page("/shop")
        assert 'href="/shop/c/knit/"' in under_shop and 'href="/p/' not in under_shop
        assert links._REQUEST_URL_STATE.get() is None, "nothing is kept after the request"
        at_root = page("")
        assert 'href="/c/knit/"' in at_root and 'href="/shop/' not in at_root
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        set_script_prefix("/")
