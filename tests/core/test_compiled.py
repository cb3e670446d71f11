"""shop.core.compiled.CompiledQuery: compiled once, run with each call's values."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, OuterRef
from django.test.utils import CaptureQueriesContext

from shop.catalog.models import Product, Variant
from shop.core.compiled import CompiledQuery
from shop.core.jsonrows import JSONRows
from social.models import Post
from tests.factories import CategoryFactory, ProductFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db


def test_a_compiled_query_runs_with_each_calls_values():
    first, second = UserFactory(), UserFactory()
    Post.objects.create(author=first, body="one")
    Post.objects.create(author=second, body="two")
    Post.objects.create(author=second, body="hidden", status=Post.Status.HIDDEN)
    query = CompiledQuery(
        lambda *, author_id: Post.objects.filter(author_id=author_id, status=Post.Status.PUBLISHED).values("body"),
        "author_id",
    )

    assert query.rows(author_id=first.pk) == [{"body": "one"}]
    with CaptureQueriesContext(connection) as captured:
        assert query.rows(author_id=second.pk) == [{"body": "two"}]
    assert len(captured) == 1
    with pytest.raises(TypeError):
        query.rows(author=second.pk)
    # The status, a constant of the statement, is passed as its plain value (psycopg looked up a dumper for the
    # enumeration's class along its bases on every run).
    _sql, params = query.sql(author_id=first.pk)
    assert params == [first.pk, "published"] and [type(param) for param in params] == [int, str]


@pytest.mark.parametrize("page_in_text", [False, True])
def test_a_page_is_read_with_limit_and_offset_as_parameters_or_in_the_text(page_in_text):
    for name in ("a", "b", "c", "d"):
        ProductFactory(name=name)
    query = CompiledQuery(
        lambda *, names: Product.objects.filter(name__in=names).order_by("name").values("name"),
        "names",
        page_in_text=page_in_text,
    )
    sql, params = query.sql(names=["a", "b", "c"], limit=2, offset=1)
    assert sql.endswith("LIMIT 2 OFFSET 1" if page_in_text else "LIMIT %s OFFSET %s")
    assert params == (["a", "b", "c"] if page_in_text else ["a", "b", "c", 2, 1])
    assert query.rows(names=["a", "b", "c"], limit=2, offset=1) == [{"name": "b"}, {"name": "c"}]
    assert query.rows(names=["a", "b", "c"], limit=2, offset=0) == [{"name": "a"}, {"name": "b"}]


@pytest.mark.parametrize(
    "lookup, word, expected",
    [
        ("contains", "50%", ["セール50%オフ"]),  # % and _ are the text itself, not LIKE's wildcards
        ("contains", "a_b", ["a_b"]),
        ("icontains", "A_B", ["a_b"]),
        ("icontains", "c\\d", ["c\\d"]),
        ("startswith", "セール", ["セール50%オフ", "セール500円"]),
        ("endswith", "オフ", ["セール50%オフ"]),
        ("exact", "a_b", ["a_b"]),
    ],
)
def test_a_text_value_of_a_like_lookup_is_escaped_per_call_as_django_escapes_it(lookup, word, expected):
    author = UserFactory()
    for body in ("セール50%オフ", "セール500円", "a_b", "axb", "c\\d", "cd"):
        Post.objects.create(author=author, body=body)
    query = CompiledQuery(
        lambda *, word: Post.objects.filter(**{f"body__{lookup}": word}).order_by("body").values("body"), "word"
    )
    query.rows(word="warm up with another value")
    assert [row["body"] for row in query.rows(word=word)] == expected
    assert [row["body"] for row in query.rows(word=word)] == list(
        Post.objects.filter(**{f"body__{lookup}": word}).order_by("body").values_list("body", flat=True)
    )


def test_a_value_that_is_not_a_parameter_is_refused():
    query = CompiledQuery(lambda *, author_id: Post.objects.values("body"), "author_id")  # not in the statement
    with pytest.raises(ValueError, match="Not parameters"):
        query.rows(author_id=3)


def test_objects_are_built_as_the_queryset_builds_them():
    """Text and list values, select_related objects, annotations and converted columns (a JSON field)."""
    parent = CategoryFactory(name="服")
    child = CategoryFactory(name="トップス", parent=parent)
    wanted = ProductFactory(category=child, slug="linen-shirt")
    VariantFactory(product=wanted, size="M")
    ProductFactory(category=child, slug="wool-coat")

    def build(*, slug, category_ids):
        return (
            Product.objects.filter(slug=slug, category_id__in=category_ids)
            .select_related("category__parent")
            .annotate(
                category_name=F("category__name"),
                sizes=JSONRows(Variant.objects.filter(product=OuterRef("pk")), ("size",)),
            )
        )

    query = CompiledQuery(build, "slug", "category_ids")
    expected = build(slug="linen-shirt", category_ids=[child.pk, parent.pk]).get()
    (found,) = query.objects(slug="linen-shirt", category_ids=[child.pk, parent.pk])
    with CaptureQueriesContext(connection) as captured:
        assert found.category.parent.name == "服" and found.category_name == "トップス"
    assert len(captured) == 0  # loaded with the product, as select_related does
    assert found == wanted and found.sizes == expected.sizes == [{"size": "M"}]
    assert found.created_at == expected.created_at and not found._state.adding
    assert query.objects(slug="wool-coat", category_ids=[parent.pk]) == []  # another length: compiled again
    assert [p.slug for p in query.objects(slug="wool-coat", category_ids=[child.pk, parent.pk])] == ["wool-coat"]


def kept_cursors() -> dict:
    """The cursors shop.core.compiled keeps on the test connection, by statement text."""
    driver_connection, kept = connection._compiled_cursors
    assert driver_connection is connection.connection
    return kept


def test_each_statement_keeps_its_cursor_and_what_the_driver_learnt_of_it():
    """The kept cursors (shop.core.compiled._cursor): one per statement, which keeps psycopg's reading of its
    columns (its Transformer) while other statements run in between; statements are still logged as Django logs
    them, and errors are Django's."""
    ProductFactory(name="kept")
    names = CompiledQuery(lambda *, name: Product.objects.filter(name=name).values("name"), "name")
    products = CompiledQuery(lambda *, name: Product.objects.filter(name=name), "name")

    with CaptureQueriesContext(connection) as captured:
        assert names.rows(name="kept") == [{"name": "kept"}]
        assert [product.name for product in products.objects(name="kept")] == ["kept"]
    assert len(captured) == 2
    names_sql, products_sql = (names.sql(name="x")[0], products.sql(name="x")[0])
    names_cursor, products_cursor = kept_cursors()[names_sql], kept_cursors()[products_sql]
    assert names_cursor is not products_cursor
    learnt = names_cursor._tx
    for _ in range(2):
        assert names.rows(name="none") == []
        assert products.objects(name="kept")[0].name == "kept"
    assert kept_cursors()[names_sql] is names_cursor and names_cursor._tx is learnt

    broken = CompiledQuery(
        lambda *, name: Product.objects.filter(name=name).extra(where=["no_such_column = 1"]), "name"
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        broken.rows(name="kept")
    assert names.rows(name="kept") == [{"name": "kept"}]


def test_a_page_is_the_same_text_each_time_and_kept_cursors_are_bounded(monkeypatch):
    from shop.core import compiled

    ProductFactory.create_batch(3)
    pages = CompiledQuery(lambda: Product.objects.order_by("pk").values("pk"))
    pages_in_text = CompiledQuery(lambda: Product.objects.order_by("pk").values("pk"), page_in_text=True)
    assert pages.sql(limit=2, offset=0)[0] is pages.sql(limit=2, offset=2)[0]
    assert pages_in_text.sql(limit=2, offset=2)[0] is pages_in_text.sql(limit=2, offset=2)[0]
    assert pages_in_text.sql(limit=2, offset=2)[0].endswith("LIMIT 2 OFFSET 2")
    assert [len(pages_in_text.rows(limit=2, offset=offset)) for offset in (0, 2)] == [2, 1]

    monkeypatch.setattr(compiled, "_KEPT_CURSORS", 2)
    kept_cursors().clear()
    assert [len(pages_in_text.rows(limit=2, offset=offset)) for offset in (0, 2)] == [2, 1]
    first = kept_cursors()[pages_in_text.sql(limit=2, offset=0)[0]]
    assert len(pages.rows(limit=2, offset=0)) == 2  # a third statement: the oldest cursor is closed
    assert first.closed and pages_in_text.sql(limit=2, offset=0)[0] not in kept_cursors()
    assert len(kept_cursors()) == 2
    assert len(pages_in_text.rows(limit=2, offset=0)) == 2  # and made again when needed


def test_values_are_converted_as_the_orm_converts_them():
    product = ProductFactory()
    Product.objects.filter(pk=product.pk).update(rating_counts=[0, 0, 1, 0, 2])

    def build(*, pk):
        return Product.objects.filter(pk=pk).values(
            "rating_counts", "created_at", "is_active", shelf=F("category__name")
        )

    query = CompiledQuery(build, "pk")
    assert query.values(pk=product.pk) == list(build(pk=product.pk))
    assert query.values(pk=product.pk)[0]["rating_counts"] == [0, 0, 1, 0, 2]
    assert isinstance(query.rows(pk=product.pk)[0]["rating_counts"], str), "rows() gives the driver's JSON text"
    assert query.values(pk=product.pk + 1) == []


@pytest.mark.django_db(transaction=True)
def test_a_closed_connection_gets_a_new_cursor():
    query = CompiledQuery(lambda *, pk: Product.objects.filter(pk=pk).values("pk"), "pk")
    assert query.rows(pk=1) == []
    kept = kept_cursors()[query.sql(pk=1)[0]]
    connection.close()
    assert query.rows(pk=1) == []
    assert kept_cursors()[query.sql(pk=1)[0]] is not kept


_ON_SQLITE = """
import django
django.setup()
from django.db import connection
from django.db.models import F
from shop.catalog.models import Category
from shop.core.compiled import CompiledQuery
with connection.schema_editor() as editor:
    editor.create_model(Category)
Category.objects.bulk_create([Category(name="ニット", slug="knit")])  # no save signals: no cache here
by_slug = CompiledQuery(lambda *, slug: Category.objects.filter(slug=slug), "slug")
names = CompiledQuery(lambda *, slug: Category.objects.filter(slug=slug).values("name"), "slug")
assert names.rows(slug="knit") == [{"name": "ニット"}]
assert names.rows(slug="knit") == [{"name": "ニット"}], "with the columns' names remembered"
assert [category.name for category in by_slug.objects(slug="knit")] == ["ニット"]
flags = CompiledQuery(lambda *, slug: Category.objects.filter(slug=slug).values("is_active", label=F("name")), "slug")
assert flags.rows(slug="knit") == [{"is_active": 1, "label": "ニット"}], "the driver's integer"
assert flags.values(slug="knit") == [{"is_active": True, "label": "ニット"}]
assert flags.values(slug="knit")[0]["is_active"] is True, "converted as the ORM converts it"
print("ok")
"""


@pytest.mark.django_db(False)
def test_rows_values_and_objects_run_on_sqlite_too():
    """The demo (`make demo`) runs on SQLite, whose cursor describes columns as plain tuples (psycopg's as Column
    objects): the statements run there, in a process of their own on an in-memory database."""
    env = {**os.environ, "DATABASE_URL": "sqlite:///:memory:"}
    done = subprocess.run(
        [sys.executable, "-c", _ON_SQLITE], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")
