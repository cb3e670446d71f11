import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

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
