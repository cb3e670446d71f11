"""shop.core.local_copies: a value every page reads, kept in the process for a second in front of the cache."""

import pytest
from django.core.cache import cache

from shop.catalog import selectors
from shop.core import local_copies
from shop.core.local_copies import local_forget, local_get
from tests.factories import CategoryFactory

KEY = "tests:local-copy"


def test_the_copy_is_read_once_a_second_and_forgetting_it_reads_the_cache_again(monkeypatch):
    loads = []
    assert local_get(KEY, lambda: loads.append(1) or "loaded", 60) == "loaded"
    assert cache.get(KEY) == "loaded"  # written through for the other processes
    cache.set(KEY, "changed elsewhere")
    assert local_get(KEY, lambda: "not called", 60) == "loaded"  # the copy, within LOCAL_SECONDS
    local_forget(KEY)
    assert local_get(KEY, lambda: "not called", 60) == "changed elsewhere"
    assert loads == [1]
    # Once LOCAL_SECONDS have passed, the cache's value again.
    cache.set(KEY, "changed again")
    monkeypatch.setattr(local_copies.time, "monotonic", lambda: 10**9)
    assert local_get(KEY, lambda: "not called", 60) == "changed again"


def test_without_a_loader_a_miss_is_none_and_is_not_kept():
    assert local_get(KEY) is None
    cache.set(KEY, ["a rule"])
    assert local_get(KEY) == ["a rule"]


def test_the_copies_stay_few(monkeypatch):
    monkeypatch.setattr(local_copies, "_LOCAL_MAX_KEYS", 3)
    for n in range(10):
        assert local_get(f"{KEY}:{n}", lambda n=n: n, 60) == n
        assert len(local_copies._local) <= 3


@pytest.mark.django_db
def test_a_category_saved_in_this_process_is_in_the_next_pages_navigation():
    CategoryFactory(name="トップス", slug="tops")
    assert [node.category.slug for node in selectors.category_tree()] == ["tops"]
    CategoryFactory(name="バッグ", slug="bags")
    assert sorted(node.category.slug for node in selectors.category_tree()) == ["bags", "tops"]
