"""Listings of whole categories (or of everything) take their total from the products on sale per category
(selectors.on_sale_counts) instead of counting their matches on every view; the totals stay exact."""

import re
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shop.catalog import selectors
from shop.catalog.models import Product
from shop.core.pagination import TOTAL
from tests.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    tops = CategoryFactory(name="トップス", slug="tops")
    knit = CategoryFactory(name="ニット", slug="knit", parent=tops)
    shoes = CategoryFactory(name="靴", slug="shoes")
    for category, n in ((tops, 3), (knit, 30), (shoes, 5)):
        for _ in range(n):
            VariantFactory(product=ProductFactory(category=category), stock=5)
    return {"tops": tops, "knit": knit, "shoes": shoes}


def shown_total(client, path) -> tuple[int, bool]:
    """The page's "N件" and whether the listing counted its matches in SQL."""
    with CaptureQueriesContext(connection) as queries:
        html = client.get(path).content.decode()
    counted = any(TOTAL in q["sql"] for q in queries.captured_queries)
    return int(re.search(r'<p class="count">(\d+)件</p>', html).group(1)), counted


def test_whole_categories_and_everything_are_not_counted_again(client, catalog):
    client.get("/products/")  # the products on sale per category, read once
    assert shown_total(client, "/products/") == (38, False)
    assert shown_total(client, "/products/?page=2") == (38, False)
    assert shown_total(client, "/c/tops/") == (33, False)  # with its subcategory
    assert shown_total(client, "/c/knit/?sort=price_asc") == (30, False)


def test_filtered_listings_still_count(client, catalog):
    assert shown_total(client, "/c/tops/?in_stock=on") == (33, True)
    assert shown_total(client, "/products/?price_min=999999") == (0, True)
    assert shown_total(client, "/search/?q=zzz-nothing") == (0, True)


def test_a_product_taken_off_sale_or_deleted_leaves_the_totals_at_once(client, catalog):
    assert shown_total(client, "/c/shoes/")[0] == 5
    shoe = Product.objects.filter(category=catalog["shoes"]).first()
    shoe.is_active = False
    shoe.save()
    assert shown_total(client, "/c/shoes/") == (4, False)
    assert shown_total(client, "/products/") == (37, False)
    Product.objects.filter(category=catalog["shoes"], is_active=True).first().delete()
    assert shown_total(client, "/c/shoes/") == (3, False)


def test_a_product_whose_sale_ends_leaves_the_totals_when_it_ends(client, catalog):
    ending = ProductFactory(category=catalog["shoes"], available_until=timezone.now() + timedelta(seconds=1.5))
    VariantFactory(product=ending, stock=1)
    assert shown_total(client, "/c/shoes/") == (6, False)
    assert selectors.on_sale_counts().valid_until == ending.available_until
    time.sleep(1.6)
    assert shown_total(client, "/c/shoes/") == (5, False)  # counted again, without it
    assert selectors.on_sale_counts().valid_until is None
