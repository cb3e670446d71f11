"""CountedPaginator (shop/core/pagination.py): the page and the total in one query, with Paginator.get_page's
answers for every page number, in range or not."""

import pytest
from django.core.paginator import Paginator

from shop.catalog.models import Product
from shop.core.pagination import CountedPaginator
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def products():
    for i in range(7):
        ProductFactory(name=f"商品 {i}", slug=f"p{i}")
    return Product.objects.order_by("slug")


@pytest.mark.parametrize("number", [None, "", "abc", "1.5", 1, "2", 3, "4", 99, 0, -1])
def test_gives_the_page_django_s_paginator_gives(products, number):
    ours = CountedPaginator(products, 3).get_page(number)
    django = Paginator(products, 3).get_page(number)
    assert ours.number == django.number
    assert [p.slug for p in ours] == [p.slug for p in django]
    assert (ours.paginator.count, ours.paginator.num_pages) == (7, 3)
    assert (ours.has_next(), ours.has_previous(), ours.start_index()) == (
        django.has_next(),
        django.has_previous(),
        django.start_index(),
    )


def test_a_page_in_range_is_one_query(products, django_assert_num_queries):
    with django_assert_num_queries(1):
        page = CountedPaginator(products.filter(slug__gt="p1"), 2).get_page("2")
        assert [p.slug for p in page] == ["p4", "p5"]
        assert (page.paginator.count, page.paginator.num_pages, page.has_next()) == (5, 3, True)


def test_past_the_end_counts_and_gives_the_last_page(products, django_assert_num_queries):
    with django_assert_num_queries(3):  # the empty page, the count, the last page
        page = CountedPaginator(products, 5).get_page(4)
        assert page.number == 2 and [p.slug for p in page] == ["p5", "p6"]


def test_an_empty_list_is_page_one_of_one(db):
    page = CountedPaginator(Product.objects.none(), 24).get_page("3")
    assert (page.number, list(page), page.paginator.count, page.paginator.num_pages) == (1, [], 0, 1)


@pytest.mark.parametrize("number", [None, "1", 2, 0])
def test_an_empty_list_is_one_query_from_any_page_number(products, number, django_assert_num_queries):
    # An empty first page says there is nothing (a search that finds nothing): no count. Page 2 reads, then counts;
    # page 0 counts (Paginator.get_page's last page), and the last page of nothing needs no read.
    nothing = products.filter(slug="none")
    with django_assert_num_queries(1 if number in (None, "1", 0) else 2):
        page = CountedPaginator(nothing, 24).get_page(number)
    assert (page.number, list(page), page.paginator.count, page.paginator.num_pages) == (1, [], 0, 1)
    assert not page.has_next() and not page.has_previous()
