"""PostgreSQL plans a statement once per connection instead of on every run (prepared statements, DATABASES in
shop/settings/base.py): planning the related products of a product page had taken it longer than running them."""

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from shop.catalog.selectors import ProductFilters, product_list_page

pytestmark = pytest.mark.django_db


def _prepared_listings() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    return [s for s in statements if 'FROM "catalog_product"' in s and "LIMIT" in s]


def test_a_statement_is_prepared_the_sixth_time_with_server_side_parameters():
    cheap = ProductFilters(price_max=5000)  # a value the statement takes as a parameter
    for _ in range(5):
        product_list_page(filters=cheap, offset=0, limit=24)
    assert _prepared_listings() == []
    for _ in range(2):
        product_list_page(filters=cheap, offset=0, limit=24)
    [statement] = _prepared_listings()
    assert "$1" in statement  # the parameters are bound by the server, so one plan serves every value


def _plans(fragment: str) -> list[tuple[int, int]]:
    """(generic plans, custom plans) of the prepared statements whose text holds `fragment`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        return [(generic, custom) for text, generic, custom in cursor.fetchall() if fragment in text]


def test_a_plain_listing_page_is_planned_once():
    """The page is in the text of a plain listing's statement (shop.core.compiled, page_in_text), so PostgreSQL takes
    its generic plan after five runs; a search's page stays a parameter (PostgreSQL may plan it per word)."""
    for _ in range(12):
        product_list_page(filters=ProductFilters(), offset=0, limit=24)
        product_list_page(filters=ProductFilters(q="ニット"), offset=0, limit=24)
    # Prepared at the sixth run (psycopg's threshold). Nothing in it is a parameter (the page, and the keys of each
    # card's image, are in its text), so PostgreSQL runs its one generic plan from then on.
    assert _plans("LIMIT 24 OFFSET 0") == [(7, 0)]
    [search] = [text for text in _prepared_listings() if "LIKE" in text]
    assert re.search(r"LIMIT \$\d+ OFFSET \$\d+$", search), search[-40:]


def _options_with(threshold: str, url: str = "postgres://postgres@127.0.0.1:5432/shop", page_cost: str = "0") -> str:
    code = "from shop.settings import base; print(base.DATABASES['default']['OPTIONS'])"
    env = {**os.environ, "DATABASE_URL": url, "DB_PREPARE_THRESHOLD": threshold, "DB_RANDOM_PAGE_COST": page_cost}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip().splitlines()[-1]


def test_a_threshold_of_zero_turns_prepared_statements_and_server_binding_off():
    assert _options_with("0") == "{'server_side_binding': False, 'prepare_threshold': None}"
    assert _options_with("3") == "{'server_side_binding': True, 'prepare_threshold': 3}"


def test_the_options_of_database_url_are_kept():
    assert _options_with("5", "postgres://postgres@db.example.jp:5432/shop?sslmode=require") == (
        "{'sslmode': 'require', 'server_side_binding': True, 'prepare_threshold': 5}"
    )


def test_the_planner_counts_random_reads_as_on_ssds_unless_told_otherwise():
    with connection.cursor() as cursor:  # the suite's own connection, made with the settings' options
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"
    assert _options_with("5", page_cost="1.1") == (
        "{'server_side_binding': True, 'prepare_threshold': 5, 'options': '-c random_page_cost=1.1'}"
    )
    # DATABASE_URL's own startup options are kept, the shop's value after them (the last one counts).
    url = "postgres://postgres@127.0.0.1:5432/shop?options=-c%20statement_timeout%3D5000"
    assert _options_with("5", url, page_cost="2") == (
        "{'options': '-c statement_timeout=5000 -c random_page_cost=2', 'server_side_binding': True, "
        "'prepare_threshold': 5}"
    )
    assert "options" not in _options_with("5", page_cost="0")  # none sent, e.g. behind a PgBouncer that refuses them
