"""shop.core.jsonrows.instances: JSON rows as PostgreSQL and SQLite give them become the instances the ORM builds."""

import datetime

import pytest
from django.db.models.fields.files import ImageFieldFile
from django.db.models.signals import post_init

from shop.catalog.models import Product, ProductImage, Variant
from shop.core.jsonrows import instances, maker


def test_values_become_the_fields_python_values():
    (product,) = instances(
        Product,
        [
            {
                "id": 7,
                "name": "ニット",
                "price": "4400",  # text: converted
                "in_stock": 1,  # SQLite's JSON true
                "rating_average": 4,  # a whole number from PostgreSQL's JSON: a float on the model
                "review_count": 3,
                "created_at": "2026-11-23T11:00:00.5+09:00",  # PostgreSQL: ISO 8601 with an offset
                "updated_at": "2026-11-23 02:00:00",  # SQLite: naive UTC
                "category_id": 2,
                "rating_counts": "[0, 0, 1, 1, 1]",  # a JSON column nested as text (SQLite)
            }
        ],
    )
    assert (product.pk, product.name, product.price, product.category_id) == (7, "ニット", 4400, 2)
    assert product.in_stock is True and product.rating_average == 4.0 and isinstance(product.rating_average, float)
    assert product.created_at == datetime.datetime(2026, 11, 23, 2, 0, 0, 500000, tzinfo=datetime.UTC)
    assert product.updated_at == datetime.datetime(2026, 11, 23, 2, tzinfo=datetime.UTC)
    assert product.rating_counts == [0, 0, 1, 1, 1]
    assert not product._state.adding
    assert product.get_deferred_fields() >= {"description", "slug"}  # not in the rows: deferred, as only() leaves them


def test_none_stays_none_and_related_objects_are_set():
    product = Product(pk=1, name="x", currency="JPY")
    rows = [{"id": 1, "sku": "A", "price": 100, "compare_at_price": None}, {"id": 2, "sku": "B", "price": 200}]
    first, second = instances(Variant, rows, product=product)
    assert (first.sku, first.compare_at_price, first.product) == ("A", None, product)
    assert (second.sku, second.price, second.compare_at_price, second.product) == ("B", 200, None, product)


def test_maker_gives_what_model_from_db_gives():
    names, values = ["id", "name", "price", "category_id"], [7, "ニット", 4400, 2]
    ours, django = maker(Product, names)(values), Product.from_db("default", names, values)
    assert type(ours) is Product and vars(ours).keys() - {"_state"} == vars(django).keys() - {"_state"}
    assert [getattr(ours, name) for name in names] == values
    assert (ours._state.adding, ours._state.db) == (False, "default")
    assert ours.get_deferred_fields() == django.get_deferred_fields()
    assert ours == django and ours.pk == 7


def test_maker_runs_djangos_init_for_a_model_with_init_receivers():
    """A post_init receiver (an ImageField's width and height, or one connected later) still sees each instance."""
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=Variant)
    try:
        variant = maker(Variant, ["id", "sku"])([3, "A"])
    finally:
        post_init.disconnect(receiver, sender=Variant)
    assert seen == [variant] and (variant.pk, variant.sku, variant._state.adding) == (3, "A", False)
    assert post_init.has_listeners(ProductImage)  # its dimension fields: built by Django's __init__ too
    (image,) = instances(ProductImage, [{"alt": "前", "id": 5, "width": 10, "height": 20}])
    assert (image.pk, image.alt, image.width, image.height) == (5, "前", 10, 20)


def test_an_image_row_with_both_dimensions_skips_djangos_init_and_one_without_goes_through_it():
    """An image field's post_init receiver leaves an instance as it is when the row has its width and height (it
    reads them from the file otherwise): such rows are built without Django's __init__, the others with it, whose
    receiver turns the image's name into its file object on the way."""
    with_both, without_width = instances(
        ProductImage,
        [
            {"id": 5, "image": "products/a.jpg", "width": 80, "height": 60},
            {"id": 6, "image": "", "width": None, "height": 60},
        ],
    )
    assert type(with_both.__dict__["image"]) is str
    assert isinstance(without_width.__dict__["image"], ImageFieldFile)
    assert (with_both.image.name, with_both.width, with_both.height, with_both._state.adding) == (
        "products/a.jpg",
        80,
        60,
        False,
    )
    assert (without_width.pk, without_width.width, without_width.height) == (6, None, 60)


@pytest.mark.django_db
def test_plain_keys_are_written_into_the_statement_and_other_keys_are_parameters():
    """On PostgreSQL the keys of a row are part of the statement's text (Django sends each as a parameter); a key
    that is not a plain name stays a parameter. Both read back the same on PostgreSQL and SQLite."""
    from django.db import connection
    from django.db.models import F, OuterRef

    from shop.core.jsonrows import JSONRows, decoded
    from tests.factories import ProductFactory

    product = ProductFactory(name="ニット")
    queryset = Product.objects.filter(pk=product.pk).annotate(
        rows=JSONRows(Product.objects.filter(pk=OuterRef("pk")), {"name": "name", "it's odd": F("price")}),
    )
    sql, params = queryset.query.sql_with_params()
    if connection.vendor == "postgresql":
        assert "'name', " in sql and "it's odd" not in sql
        assert "name" not in params and "it's odd" in params
    (read,) = queryset
    assert decoded(read.rows) == [{"name": "ニット", "it's odd": product.price}]
