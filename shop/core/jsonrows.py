"""Rows of a related table as one JSON column of the outer query, so a page can load "a product and its images" or
"everything a member sees of a product" in one statement instead of one query per table.

    Product.objects.annotate(images_data=JSONRows(ProductImage.objects.filter(product=OuterRef("pk")), ("id", "image")))

gives each product a list of {"id": .., "image": ..} dicts, in the subquery's order; `instances` turns them back into
unsaved model instances (values converted by each field's `to_python`) for code that expects models.
"""

import datetime
import functools
import re
from collections.abc import Callable, Sequence

import orjson
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import JSONField, Subquery
from django.db.models.base import ModelState
from django.db.models.functions import JSONObject
from django.db.models.signals import post_init, pre_init
from django.utils import timezone


class RowsField(JSONField):
    """The output field of JSONRows: JSON text decoded with orjson, which takes a third of the time of the standard
    library's json for the same values (the product page decodes its images, variants, related cards and the
    member's row on every view)."""

    def from_db_value(self, value, expression, connection):
        return orjson.loads(value) if isinstance(value, str | bytes) else value


class JSONRows(Subquery):
    """A JSON array of the subquery's rows, each a JSON object of `fields`; [] when there are none.

    PostgreSQL and SQLite (the demo) only. PostgreSQL: an ARRAY() of the subquery keeps its ORDER BY (and LIMIT); the
    rows are built as json, not jsonb, and the array given as text, which Django decodes: jsonb's objects are parsed
    and their keys sorted on the way, about 12% of a product page's statement for nothing (they are only read)."""

    output_field = RowsField()

    def __init__(self, queryset: models.QuerySet, fields, **extra):
        fields = {name: name for name in fields} if not isinstance(fields, dict) else fields
        super().__init__(queryset.values(_row=JSONRow(**fields)), **extra)

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "array_to_json(ARRAY(%(subquery)s))::text"
        return self.as_sql(compiler, connection, template=template, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        template = "(SELECT json_group_array(json(_rows._row)) FROM (%(subquery)s) _rows)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


class JSONRow(JSONObject):
    """Django's JSONObject, built as json on PostgreSQL (JSON_BUILD_OBJECT) rather than jsonb, its keys written into
    the statement: Django passes each key as a parameter, which the driver adapted and PostgreSQL read on every run
    (a member's product page sent 83 parameters, 56 of them keys). A key that is not a plain name stays a parameter."""

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = [], []
        expressions = self.get_source_expressions()
        for key, value in zip(expressions[::2], expressions[1::2], strict=True):
            value_sql, value_params = compiler.compile(value)
            if _PLAIN_KEY.fullmatch(key.value):
                sql.append(f"'{key.value}', {value_sql}")
            else:
                sql.append(f"%s::text, {value_sql}")
                params.append(key.value)
            params.extend(value_params)
        return f"JSON_BUILD_OBJECT({', '.join(sql)})", params


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def decoded(rows) -> list[dict]:
    """The rows of a JSONRows column: a list of dicts (a JSON text nested by SQLite is decoded too)."""
    if isinstance(rows, str):
        rows = orjson.loads(rows)
    return list(rows or [])


def instances(model: type[models.Model], rows, **related) -> list[models.Model]:
    """Unsaved-looking model instances from JSONRows rows (as loaded from the database: `_state.adding` is False),
    each value converted by its field (JSON columns nested as text are decoded); `related` sets foreign keys to
    already loaded objects, e.g. product=product, so reading them runs no query. Fields missing from the rows are
    deferred, as with QuerySet.only(); columns that are not fields become attributes, as annotations do.

    Built as Model.from_db builds them (`maker`). How each column is converted is worked out once per model and
    set of columns (_plan): a product page builds a dozen instances of thirty fields."""
    rows = decoded(rows)
    if not rows:
        return []
    steps, others = _plan(model, tuple(rows[0]))
    attnames = [attname for _name, attname, _convert, _kept in steps]
    make = maker(model, attnames)
    objects = []
    for row in rows:
        values = []
        for name, _attname, convert, kept in steps:
            value = row.get(name)
            if value is not None and convert is not None and type(value) is not kept:
                value = convert(value)
            values.append(value)
        obj = make(values)
        for name in others:
            setattr(obj, name, row.get(name))
        for name, value in related.items():
            setattr(obj, name, value)
        objects.append(obj)
    return objects


# The Python type a field's value already has when JSON gives it that type (no conversion needed).
_KEPT_TYPES = (
    (models.BooleanField, bool),  # SQLite's JSON gives booleans as 0 and 1: those are converted
    (models.IntegerField, int),
    (models.FloatField, float),
    (models.CharField, str),
    (models.TextField, str),
    (models.FileField, str),
)


@functools.lru_cache(maxsize=256)
def _plan(model: type[models.Model], names: tuple[str, ...]) -> tuple[list[tuple], tuple[str, ...]]:
    """For each column of a field, in the order of the model's fields (Model.from_db's): its name, its field's
    attname, how to convert a value (None: as it is) and the type that needs no conversion; and the other columns,
    which become attributes as they are (as a queryset's annotations do)."""
    meta = model._meta
    places = {field.attname: place for place, field in enumerate(meta.concrete_fields)}
    steps, others = [], []
    for name in names:
        try:
            field = meta.get_field(name)
        except FieldDoesNotExist:
            others.append(name)
            continue
        if isinstance(field, JSONField):
            convert, kept = _json_value, None
        elif field.is_relation:
            convert, kept = None, None
        elif isinstance(field, models.DateTimeField):
            convert, kept = datetime_value, None
        else:
            convert = field.to_python
            kept = next((kind for field_class, kind in _KEPT_TYPES if isinstance(field, field_class)), None)
        steps.append((places[field.attname], name, field.attname, convert, kept))
    return [step[1:] for step in sorted(steps)], tuple(others)


def maker(model: type[models.Model], attnames: list[str], using: str = "default") -> Callable[[Sequence], models.Model]:
    """A function making instances of the model as Model.from_db(using, attnames, values) does, for rows of these
    columns: what the model's signal receivers need is looked up once per call of this, not once per instance.

    The instance is made without Django's Model.__init__ when no pre_init receiver listens to the model and no
    post_init receiver would change it: none is connected, or each is Django's ImageField.update_dimension_fields
    (an image field with width and height fields, e.g. a product's image) and the row has both dimensions, which it
    then leaves as they are (it reads them from the file otherwise). The steps of __init__, for an instance of
    positional values, come down to setting each value in the instance's __dict__ (what the fields' descriptors do
    with a value set on a new instance) and sending those two signals, and were a twentieth of a product page's CPU.
    A model with an __init__ or from_db of its own, or any other receiver, takes Django's way."""
    django_way = functools.partial(model.from_db, using, attnames)
    if (
        model.__init__ is not models.Model.__init__
        or model.from_db.__func__ is not models.Model.from_db.__func__
        or pre_init.has_listeners(model)
    ):
        return django_way
    sync_receivers, async_receivers = post_init._live_receivers(model)
    if async_receivers:
        return django_way
    dimensions = []  # the places of the values an image field's receiver needs set
    for receiver in sync_receivers:
        if getattr(receiver, "__func__", None) is not models.ImageField.update_dimension_fields:
            return django_way
        for name in (receiver.__self__.width_field, receiver.__self__.height_field):
            if name and name not in attnames:
                return django_way
            if name:
                dimensions.append(attnames.index(name))

    def make(values: Sequence) -> models.Model:
        for place in dimensions:
            if not values[place]:
                return django_way(values)
        obj = model.__new__(model)
        state = obj._state = ModelState()
        state.adding, state.db = False, using
        obj.__dict__.update(zip(attnames, values, strict=True))
        return obj

    return make


def _json_value(value):
    """A JSON column's value: nested as text by SQLite (decoded here), as a value by PostgreSQL."""
    return orjson.loads(value or "null") if isinstance(value, str) else value


def datetime_value(value) -> datetime.datetime:
    """A time from a JSON row: PostgreSQL's JSON gives ISO 8601 with an offset; SQLite's, naive UTC text
    ("2026-11-23 02:00:00")."""
    parsed = value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else timezone.make_aware(parsed, datetime.UTC)
