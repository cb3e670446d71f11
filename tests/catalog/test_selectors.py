import dataclasses
import datetime
import json

import pytest
from django.db.utils import ConnectionHandler
from django.utils import timezone

from shop.catalog import selectors
from shop.catalog.models import Product, ProductImage
from shop.catalog.selectors import ProductFilters
from shop.catalog.services import product_sync_from_variants
from shop.catalog.templatetags import catalog_tags
from shop.core.pagination import TOTAL
from tests.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    tops = CategoryFactory(name="トップス", slug="tops")
    knit = CategoryFactory(name="ニット", slug="knit", parent=tops)
    shirts = CategoryFactory(name="シャツ", slug="shirts", parent=tops)
    bags = CategoryFactory(name="バッグ", slug="bags")
    mohair = ProductFactory(category=knit, name="ふんわりモヘアニット", brand="Lumi", tags="秋冬 ニット")
    VariantFactory(product=mohair, size="M", colour="ネイビー", price=4990, stock=3)
    VariantFactory(product=mohair, size="L", colour="アイボリー", price=5490, stock=0)
    linen = ProductFactory(category=shirts, name="リネンシャツ", brand="Aoi", description="涼しいリネン素材")
    VariantFactory(product=linen, size="S", colour="ホワイト", price=3990, stock=10)
    tote = ProductFactory(category=bags, name="キャンバストート", brand="Lumi", tags="通勤")
    VariantFactory(product=tote, size="F", colour="ネイビー", price=2990, stock=0)
    return {"tops": tops, "knit": knit, "bags": bags, "mohair": mohair, "linen": linen, "tote": tote}


def names(qs):
    return {p.name for p in qs}


def test_category_tree_has_two_levels_from_one_query(catalog, django_assert_num_queries):
    with django_assert_num_queries(1):
        tree = selectors.category_tree()
    tops = next(node for node in tree if node.category.slug == "tops")
    assert sorted(child.category.slug for child in tops.children) == ["knit", "shirts"]
    assert set(tops.ids) == {catalog["tops"].pk, catalog["knit"].pk, catalog["tops"].children.get(slug="shirts").pk}


def test_parent_category_lists_its_children_products(catalog):
    node = selectors.category_node_get(slug="tops", tree=selectors.category_tree())
    result = selectors.product_list(filters=ProductFilters(category_ids=node.ids))
    assert names(result) == {"ふんわりモヘアニット", "リネンシャツ"}


def test_price_range_uses_lowest_variant_price(catalog):
    result = selectors.product_list(filters=ProductFilters(price_min=3000, price_max=5000))
    assert names(result) == {"ふんわりモヘアニット", "リネンシャツ"}


def test_size_and_colour_filters_match_one_variant(catalog):
    assert names(selectors.product_list(filters=ProductFilters(sizes=("L",)))) == {"ふんわりモヘアニット"}
    assert names(selectors.product_list(filters=ProductFilters(colours=("ネイビー",)))) == {
        "キャンバストート",
        "ふんわりモヘアニット",
    }
    # Size L exists only in アイボリー, so L + ネイビー matches nothing.
    assert names(selectors.product_list(filters=ProductFilters(sizes=("L",), colours=("ネイビー",)))) == set()


def test_in_stock_only_hides_sold_out_products_and_variants(catalog):
    assert names(selectors.product_list(filters=ProductFilters(in_stock=True))) == {
        "ふんわりモヘアニット",
        "リネンシャツ",
    }
    # The only L variant is sold out.
    assert names(selectors.product_list(filters=ProductFilters(sizes=("L",), in_stock=True))) == set()


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("price_asc", ["キャンバストート", "リネンシャツ", "ふんわりモヘアニット"]),
        ("price_desc", ["ふんわりモヘアニット", "リネンシャツ", "キャンバストート"]),
    ],
)
def test_sort_by_price(catalog, sort, expected):
    assert [p.name for p in selectors.product_list(filters=ProductFilters(sort=sort))] == expected


def test_sort_by_popularity_and_newest(catalog):
    Product.objects.filter(pk=catalog["tote"].pk).update(popularity=50)
    Product.objects.filter(pk=catalog["linen"].pk).update(popularity=10)
    popular = [p.name for p in selectors.product_list(filters=ProductFilters(sort="popular"))]
    assert popular[:2] == ["キャンバストート", "リネンシャツ"]
    Product.objects.filter(pk=catalog["mohair"].pk).update(created_at=timezone.now() + datetime.timedelta(minutes=1))
    assert selectors.product_list(filters=ProductFilters(sort="newest"))[0].name == "ふんわりモヘアニット"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("モヘア", ["ふんわりモヘアニット"]),  # name
        ("lumi", ["キャンバストート", "ふんわりモヘアニット"]),  # brand, case-insensitive
        ("リネン素材", ["リネンシャツ"]),  # description
        ("通勤", ["キャンバストート"]),  # tags
        ("ＬＵＭＩ　ニット", ["ふんわりモヘアニット"]),  # full-width letters and space, two terms
        ("ﾆｯﾄ", ["ふんわりモヘアニット"]),  # half-width katakana
        ("存在しない", []),
    ],
)
def test_search_over_name_brand_description_tags(catalog, query, expected):
    assert names(selectors.product_list(filters=ProductFilters(q=query, sort="relevance"))) == set(expected)


def test_search_relevance_puts_name_matches_first(catalog):
    other = ProductFactory(name="ベーシックT", description="モヘアのような肌触り", popularity=999)
    VariantFactory(product=other, price=1500)
    result = [p.name for p in selectors.product_list(filters=ProductFilters(q="モヘア", sort="relevance"))]
    assert result == ["ふんわりモヘアニット", "ベーシックT"]


def test_search_uses_trigram_index_on_postgres(catalog):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'catalog_product_search_trgm'")
        row = cursor.fetchone()
    assert row is not None and "gin_trgm_ops" in row[0]


def test_inactive_and_ended_products_are_not_listed(catalog):
    Product.objects.filter(pk=catalog["linen"].pk).update(is_active=False)
    Product.objects.filter(pk=catalog["tote"].pk).update(available_until=timezone.now() - datetime.timedelta(hours=1))
    assert names(selectors.product_list(filters=ProductFilters())) == {"ふんわりモヘアニット"}


def test_sync_from_variants_keeps_listing_summary_right(catalog):
    mohair = catalog["mohair"]
    mohair.refresh_from_db()
    assert (mohair.price, mohair.in_stock) == (4990, True)
    mohair.variants.filter(size="M").update(stock=0, compare_at_price=6990)
    mohair.variants.filter(size="L").update(price=3000)
    product_sync_from_variants(product_id=mohair.pk)
    mohair.refresh_from_db()
    assert (mohair.price, mohair.compare_at_price, mohair.in_stock) == (3000, None, False)


def test_facets_list_sizes_in_shop_order(catalog):
    facets = selectors.product_facets()
    assert facets["sizes"] == ["S", "M", "L", "F"]
    assert "ネイビー" in facets["colours"]
    knit = selectors.category_node_get(slug="knit", tree=selectors.category_tree())
    assert selectors.product_facets(category_ids=knit.ids)["sizes"] == ["M", "L"]


def test_related_products_prefer_same_category(catalog):
    sibling = ProductFactory(category=catalog["knit"], name="ケーブルニット")
    VariantFactory(product=sibling)
    page = selectors.product_get_for_page(slug=catalog["mohair"].slug)
    related = selectors.product_related(page=page, tree=selectors.category_tree())
    assert [p.name for p in related][:2] == ["ケーブルニット", "リネンシャツ"]
    assert catalog["tote"] not in related


def test_related_products_fill_from_the_top_level_category_in_stock_and_popular_first(
    catalog, django_assert_num_queries
):
    def product(category, name, *, popularity, stock=5):
        made[name] = ProductFactory(category=category, name=name, popularity=popularity)
        VariantFactory(product=made[name], stock=stock)

    made = {}
    shirts = catalog["linen"].category
    product(catalog["knit"], "売り切れニット", popularity=900, stock=0)
    for n in range(3):
        product(catalog["knit"], f"ニット{n}", popularity=100 * n)
    for n in range(9):
        product(shirts, f"シャツ{n}", popularity=50 + n)
    product(catalog["bags"], "人気バッグ", popularity=999)
    tree = selectors.category_tree()
    mohair, shirt, bag = (
        selectors.product_get_for_page(slug=p.slug) for p in (catalog["mohair"], made["シャツ0"], made["人気バッグ"])
    )
    # Three in stock and one sold out in the same category (read with the product), then the most popular of the
    # other categories under Tops: one more statement.
    with django_assert_num_queries(1):
        related = selectors.product_related(page=mohair, tree=tree)
    knits, shirts_first = [f"ニット{n}" for n in (2, 1, 0)], [f"シャツ{n}" for n in (8, 7, 6, 5)]
    assert [p.name for p in related] == [*knits, "売り切れニット", *shirts_first]
    assert len(related) == selectors.RELATED_LIMIT
    # A category with enough products of its own shows only those, read with the product.
    with django_assert_num_queries(0):
        related = selectors.product_related(page=shirt, tree=tree)
    assert [p.name for p in related] == [f"シャツ{n}" for n in range(8, 0, -1)]
    # A category alone under its top level (Bags): its own products only, and no statement for others.
    with django_assert_num_queries(0):
        assert [p.name for p in selectors.product_related(page=bag, tree=tree)] == ["キャンバストート"]


def test_related_cards_have_what_a_listing_card_has(catalog):
    """The cards read with the product (JSON rows) carry the same values and image markup as a listing's cards."""
    sibling = ProductFactory(category=catalog["knit"], name="ケーブルニット", compare_at_price=9900)
    VariantFactory(product=sibling)
    ProductImage.objects.create(
        product=sibling, image="products/knit.jpg", width=800, height=600, alt="編み目", renditions={"source": "x"}
    )
    page = selectors.product_get_for_page(slug=catalog["mohair"].slug)
    (from_page,) = (card for card in page.related if card.pk == sibling.pk)
    listing = selectors.product_list_page(filters=ProductFilters(), offset=0, limit=50)
    (from_listing,) = (card for card in listing if card.pk == sibling.pk)
    for name in selectors.CARD_FIELDS:
        assert getattr(from_page, name) == getattr(from_listing, name), name
    assert from_page.card_image_data == from_listing.card_image_data
    assert catalog_tags.product_cards([from_page]) == catalog_tags.product_cards([from_listing])
    assert "編み目" in catalog_tags.product_cards([from_page])


def test_a_cards_image_is_json_text_of_the_first_image_with_its_keys_in_the_statement(catalog):
    """Each card's image is the text of a JSON object of the product's first image (catalog_tags remembers a card's
    markup by it). On PostgreSQL it is built as json with its keys written into the statement: no key is sent as a
    parameter for each card."""
    from django.db import connection

    product = catalog["mohair"]
    ProductImage.objects.create(product=product, image="products/b.jpg", width=8, height=6, alt="後", position=2)
    ProductImage.objects.create(product=product, image="products/a.jpg", width=80, height=60, alt="前", position=1)
    queryset = selectors.product_list(filters=ProductFilters(q="モヘア"))
    sql, params = queryset.query.sql_with_params()
    if connection.vendor == "postgresql":
        assert "JSONB_BUILD_OBJECT" not in sql and "'renditions', " in sql
        assert not set(selectors.CARD_IMAGE_FIELDS) & {param for param in params if isinstance(param, str)}
    (card,) = queryset
    assert isinstance(card.card_image_data, str)
    assert json.loads(card.card_image_data) == {
        "id": product.images.get(position=1).pk,
        "image": "products/a.jpg",
        "width": 80,
        "height": 60,
        "alt": "前",
        "renditions": {},
    }


def test_the_product_page_statements_compile_for_sqlite_too():
    """The demo runs on SQLite (JSONRows has its own SQL there; the demo's smoke run executes them)."""
    sqlite = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}})["default"]
    for queryset in (
        selectors._product_page_queryset(slug="a", viewer_id=None),
        selectors._product_page_queryset(slug="a", viewer_id=7),  # with the member's columns (social)
        selectors._related_others_queryset(category_ids=[2, 3]),
    ):
        sql, _params = queryset.query.get_compiler(connection=sqlite).as_sql()
        assert "json_group_array" in sql or "LIMIT 8" in sql


LISTING_FILTERS = [
    ProductFilters(),
    ProductFilters(sort="price_asc"),
    ProductFilters(price_min=3000, price_max=5000, sort="price_desc"),
    ProductFilters(price_min=5000),  # the same shape as the next: one compiled statement, other values
    ProductFilters(price_min=2000),
    ProductFilters(sizes=("M", "S"), colours=("ネイビー",), price_max=5000, in_stock=True),
    ProductFilters(colours=("ネイビー", "ホワイト"), sort="popular"),
    ProductFilters(q="ニット", sort="relevance"),  # search words: LIKE patterns around the compiled markers
    ProductFilters(q="ニット ふんわり", sort="relevance"),
    ProductFilters(q="リネン", sort="price_asc", price_max=5000),
    ProductFilters(q="50%_ニット"),  # LIKE's wildcards are the text itself
    ProductFilters(price_min=9000),  # nothing matches
]


@pytest.mark.parametrize("filters", LISTING_FILTERS)
def test_a_listing_page_is_the_querysets_page_with_the_total(catalog, filters, django_assert_max_num_queries):
    node = selectors.category_node_get(slug="tops", tree=selectors.category_tree())
    for category_ids in ((), node.ids):
        filters = dataclasses.replace(filters, category_ids=category_ids)
        expected = [product.pk for product in selectors.product_list(filters=filters)]
        selectors.on_sale_counts()  # read once per process (a second) by any listing of whole categories
        for offset in (0, 1, 2):
            # The first page in one statement; a later one: its ids and the total, then their cards.
            with django_assert_max_num_queries(1 if offset == 0 else 2):
                page = selectors.product_list_page(filters=filters, offset=offset, limit=2)
            assert [product.pk for product in page] == expected[offset : offset + 2]
            assert {getattr(product, TOTAL) for product in page} <= {len(expected)}
            assert all(product.card_image_data is None and product.name for product in page)


def test_cards_read_only_the_columns_a_card_shows(db):
    """A listing builds 24 cards on every view: long texts and dates (a conversion each) are not read, and what the
    cards show is there without another query."""
    VariantFactory(product=ProductFactory(description="長い説明" * 100))
    [card] = selectors.product_list_page(filters=ProductFilters(), offset=0, limit=24)
    assert {"description", "search_text", "created_at", "updated_at"} <= card.get_deferred_fields()
    assert {"name", "slug", "brand", "price", "compare_at_price", "in_stock", "category_id"}.isdisjoint(
        card.get_deferred_fields()
    )
