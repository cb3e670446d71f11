"""Rows of a related table as one JSON column of the outer query, so a page can load "a product and its images" or
"everything a member sees of a product" in one statement instead of one query per table.

    Product.objects.annotate(images_data=JSONRows(ProductImage.objects.filter(product=OuterRef("pk")), ("id", "image")))

gives each product a list of {"id": .., "image": ..} dicts, in the subquery's order; `instances` turns them back into
unsaved model instances (values converted by each field's `to_python`) for code that expects models.
"""

import datetime
import json

from django.db import models
from django.db.models import DEFERRED, JSONField, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone


class JSONRows(Subquery):
    """A JSON array of the subquery's rows, each a JSON object of `fields`; [] when there are none.

    PostgreSQL and SQLite (the demo) only. PostgreSQL: an ARRAY() of the subquery keeps its ORDER BY (and LIMIT) and
    to_jsonb makes it a jsonb array, which Django reads as text and decodes (a plain json value would not be)."""

    output_field = JSONField()

    def __init__(self, queryset: models.QuerySet, fields, **extra):
        fields = {name: name for name in fields} if not isinstance(fields, dict) else fields
        super().__init__(queryset.values(_row=JSONObject(**fields)), **extra)

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "to_jsonb(ARRAY(%(subquery)s))"
        return self.as_sql(compiler, connection, template=template, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        template = "(SELECT json_group_array(json(_rows._row)) FROM (%(subquery)s) _rows)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


def decoded(rows) -> list[dict]:
    """The rows of a JSONRows column: a list of dicts (a JSON text nested by SQLite is decoded too)."""
    if isinstance(rows, str):
        rows = json.loads(rows)
    return list(rows or [])


def instances(model: type[models.Model], rows, **related) -> list[models.Model]:
    """Unsaved-looking model instances from JSONRows rows (as loaded from the database: `_state.adding` is False),
    each value converted by its field (JSON columns nested as text are decoded); `related` sets foreign keys to
    already loaded objects, e.g. product=product, so reading them runs no query. Fields missing from the rows are
    deferred, as with QuerySet.only().

    Built as Model.from_db does (positional values, in the model's field order): keyword arguments cost Django's
    Model.__init__ about three times as much, which showed on pages of a hundred instances."""
    rows = decoded(rows)
    if not rows:
        return []
    meta = model._meta
    fields = {name: meta.get_field(name) for name in rows[0]}
    objects = []
    for row in rows:
        values = {}
        for name, value in row.items():
            field = fields.get(name) or meta.get_field(name)
            if isinstance(field, JSONField) and isinstance(value, str):
                value = json.loads(value or "null")
            elif value is not None and not field.is_relation:
                value = field.to_python(value)
                if isinstance(value, datetime.datetime) and timezone.is_naive(value):  # SQLite keeps UTC, naive
                    value = timezone.make_aware(value, datetime.UTC)
            values[field.attname] = value
        obj = model(*(values.get(field.attname, DEFERRED) for field in meta.concrete_fields))
        obj._state.adding = False
        obj._state.db = "default"
        for name, value in related.items():
            setattr(obj, name, value)
        objects.append(obj)
    return objects
