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
