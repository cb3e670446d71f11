"""A queryset's SQL built and compiled once per process, then run again with other values.

For the few statements of hot pages: building a query of several JSONRows columns, or of a product card's columns,
and compiling it costs the ORM more CPU (2 to 10 ms) than the database spends running it. The queryset is built
once with markers in place of the values that change (ids, a slug); the markers are found in the compiled
parameters and swapped for the values of each call.

    _EMAILS = CompiledQuery(lambda *, user_id: User.objects.filter(pk=user_id).values("email"), "user_id")
    rows = _EMAILS.rows(user_id=request.user.pk)  # [{"email": ...}]
    users = _USERS.objects(ids=[1, 2, 3])  # model instances, as iterating the queryset gives them

A value may be an integer, a string, or a list of them (each item a parameter, as `id__in` passes them); a string
may be the value of a LIKE lookup too (`contains`, `icontains`, `startswith`...), escaped per call as Django does.
The statement is compiled once per *shape*: the length of each list, which values are None (the builder gets None, so
it can leave a filter out), and the values of the names given as `shape=` (a sort order, a flag), which the builder
gets as they are. Everything else (limits, statuses, field lists, the time: use the database's `Now()`) is fixed
when it is built. `limit` and `offset` read a page of a queryset built without a slice.

The page is given as parameters, unless the statement is made with `page_in_text=True`: then it is written into the
text (a statement per page number). PostgreSQL plans a prepared statement again on each run while its generic plan
(for any parameters) looks dearer than the plans made for the values at hand, and with LIMIT and OFFSET unknown it
takes them for a tenth of the rows: the first page of the product list was planned again on every view (about 0.1 ms
of PostgreSQL's CPU). With the page in the text, the generic plan is taken after five runs. Only for statements whose
best plan does not depend on their values: a search word's does (`LIKE '%春色%'` took 26 ms with the generic plan,
3.7 ms with its own, at 10,000 products).

`rows()` gives the columns as the database driver returns them, without the fields' from_db_value (JSON columns as
text: decode them with shop.core.jsonrows.decoded); `values()` converts them as the ORM does (SQLite's dates are
text); `objects()` converts them and builds the instances, select_related objects and annotations included. The keys
of rows() and values() are the statement's column names: name a related column (`name=F("user__display_name")`).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from itertools import count

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators

from .jsonrows import maker

# Integer markers: distinct, unlikely as a constant of a statement, and within the range of every integer field but
# the small ones (Django turns a lookup of an out-of-range number into "match nothing" or "match all", so a marker
# out of range would not reach the parameters; _compile then refuses the statement).
_INT_MARKER_BASE = 2_147_480_999
_TEXT_MARKER = "\x1ecompiled-query-marker-{}\x1e"
_MAX_SHAPES = 64  # list lengths are bounded by page sizes: a process keeps a few shapes of each statement
_MAX_PAGES = 128  # texts of a statement's pages kept (page_in_text), e.g. the first 128 pages of the product list


@dataclass(frozen=True)
class _Compiled:
    sql: str
    slots: list  # per parameter, see _slot
    compiler: object
    converters: dict
    # For objects() (None for a values() queryset): the model columns' names and place in a row, select_related.
    init_list: list | None = None
    model_columns: slice | None = None
    populators: list | None = None
    columns: list = field(default_factory=list)  # for rows() and values(): the names, once it has run
    paged: dict = field(default_factory=dict)  # its text with LIMIT and OFFSET, by page when written in (_statement)


class CompiledQuery:
    def __init__(
        self, build: Callable[..., QuerySet], *names: str, shape: tuple[str, ...] = (), page_in_text: bool = False
    ):
        self._build = build
        self._names = names
        self._shape = shape
        self._page_in_text = page_in_text
        self._compiled: dict[tuple, _Compiled] = {}

    def sql(self, using: str = "default", *, limit: int | None = None, offset: int = 0, **values) -> tuple[str, list]:
        """(SQL, parameters) for these values, to run or to embed in a larger statement."""
        return self._statement(self._get(using, values), values, limit=limit, offset=offset)

    def rows(self, using: str = "default", *, limit: int | None = None, offset: int = 0, **values) -> list[dict]:
        compiled = self._get(using, values)
        cursor = self._execute(connections[using], compiled, values, limit=limit, offset=offset)
        return [dict(zip(compiled.columns, row, strict=True)) for row in cursor.fetchall()]

    def values(self, using: str = "default", *, limit: int | None = None, offset: int = 0, **values) -> list[dict]:
        """The rows of a values() queryset as rows() gives them, with the columns converted as the ORM converts them
        (none for most columns on PostgreSQL; dates, booleans and decimals from SQLite's text and integers)."""
        compiled = self._get(using, values)
        connection = connections[using]
        cursor = self._execute(connection, compiled, values, limit=limit, offset=offset)
        return [
            dict(zip(compiled.columns, _converted(row, compiled.converters, connection), strict=True))
            for row in cursor.fetchall()
        ]

    def objects(self, using: str = "default", *, limit: int | None = None, offset: int = 0, **values) -> list:
        """The model instances the queryset would give (django.db.models.query.ModelIterable's steps)."""
        compiled = self._get(using, values)
        connection = connections[using]
        rows = self._execute(connection, compiled, values, limit=limit, offset=offset).fetchall()
        compiler = compiled.compiler
        model = compiler.klass_info["model"]
        make = maker(model, compiled.init_list, using)
        objects = []
        for row in rows:
            row = _converted(row, compiled.converters, connection)
            obj = make(row[compiled.model_columns])
            for populator in compiled.populators:
                populator.populate(row, obj)
            for name, position in compiler.annotation_col_map.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects

    def _execute(self, connection, compiled: _Compiled, values: dict, *, limit: int | None, offset: int):
        sql, params = self._statement(compiled, values, limit=limit, offset=offset)
        cursor = _cursor(connection, sql)
        cursor.execute(sql, params)
        if not compiled.columns:  # the names, read once: the driver makes an object of each column on each read
            compiled.columns.extend(column[0] for column in cursor.description)
        return cursor

    def _get(self, using: str, values: dict) -> _Compiled:
        if set(values) != {*self._names, *self._shape}:
            raise TypeError(f"Give exactly {', '.join((*self._names, *self._shape))}.")
        key = (using, *map(_shape_of, (values[name] for name in self._names)), *(values[n] for n in self._shape))
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compile(using, values)
            if len(self._compiled) < _MAX_SHAPES:
                self._compiled[key] = compiled
        return compiled

    def _statement(self, compiled: _Compiled, values: dict, *, limit: int | None, offset: int) -> tuple[str, list]:
        params = [
            constant if name is None else kind(values[name] if index is None else values[name][index])
            for name, index, constant, kind in compiled.slots
        ]
        if limit is None:
            return compiled.sql, params
        if compiled.compiler.query.is_sliced:
            raise TypeError("limit and offset read a page of a queryset built without a slice.")
        # The same text object for the same page: the driver's cursor keeps what it learnt of a statement only for
        # the same object (_cursor).
        key = (int(limit), int(offset)) if self._page_in_text else None
        sql = compiled.paged.get(key)
        if sql is None:
            sql = f"{compiled.sql} LIMIT {key[0]:d} OFFSET {key[1]:d}" if key else f"{compiled.sql} LIMIT %s OFFSET %s"
            if len(compiled.paged) < _MAX_PAGES:
                compiled.paged[key] = sql
        return sql, params if key else [*params, int(limit), int(offset)]

    def _compile(self, using: str, values: dict) -> _Compiled:
        numbers = count(_INT_MARKER_BASE, -1)

        def marker(name, value):
            return _TEXT_MARKER.format(f"{name}-{next(numbers)}") if isinstance(value, str) else next(numbers)

        arguments, slot_of = {name: values[name] for name in self._shape}, {}
        for name in self._names:
            value = values[name]
            if isinstance(value, list | tuple):
                arguments[name] = [marker(name, item) for item in value]
                slot_of.update({item: (name, index) for index, item in enumerate(arguments[name])})
            elif value is not None:
                arguments[name] = marker(name, value)
                slot_of[arguments[name]] = (name, None)
            else:
                arguments[name] = None
        compiler = self._build(**arguments).query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        escape = connections[using].ops.prep_for_like_query
        slots = [_slot(param, slot_of, escape) for param in params]
        missing = set(slot_of.values()) - {(name, index) for name, index, _constant, _kind in slots if name}
        if missing or any(str(item) in sql for item in slot_of):
            # A value the statement does not take as a parameter (inlined, or unused) cannot be swapped per call.
            names = sorted({name for name, _index in missing}) or ["(inlined)"]
            raise ValueError(f"Not parameters of the compiled statement: {', '.join(names)}")
        converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
        klass_info = compiler.klass_info
        if klass_info is None:  # a values() queryset: rows() only
            return _Compiled(sql, slots, compiler, converters)
        columns = slice(klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1)
        return _Compiled(
            sql,
            slots,
            compiler,
            converters,
            init_list=[column[0].target.attname for column in compiler.select[columns]],
            model_columns=columns,
            populators=get_related_populators(klass_info, compiler.select, using),
        )


def _slot(param, slot_of: dict, escape) -> tuple:
    """How a compiled parameter is made for a call: (name, index in a list value or None, None, how the value becomes
    the parameter), or (None, None, the constant parameter, None)."""
    if _is_marker(param, slot_of):
        # The driver's type of the marker's parameter (e.g. psycopg's Int4, which Django uses for an integer field's
        # lookups) is given to each call's value.
        return (*slot_of[param], None, type(param))
    if wrapped := _like_around_marker(param, slot_of):
        # A LIKE pattern around a marker (`contains`, `startswith`...) is made again around each call's value,
        # escaped as Django escapes it.
        prefix, marker, suffix = wrapped
        return (*slot_of[marker], None, partial(_like_pattern, escape, prefix, suffix))
    # A constant of an enumeration (a model's TextChoices) as its plain value: psycopg finds no dumper for the
    # enumeration's class and looks one up along its bases, raising and catching a KeyError at each, on every run.
    return (None, None, param.value if isinstance(param, Enum) else param, None)


def _like_around_marker(param, slot_of: dict) -> tuple[str, str, str] | None:
    """(prefix, marker, suffix) when the parameter is a text marker inside the % of a LIKE pattern."""
    if not isinstance(param, str) or "\x1e" not in param:
        return None
    for prefix in ("", "%"):
        for suffix in ("", "%"):
            marker = param[len(prefix) : len(param) - len(suffix)]
            if (prefix or suffix) and param == prefix + marker + suffix and marker in slot_of:
                return prefix, marker, suffix
    return None


def _like_pattern(escape, prefix: str, suffix: str, value: str) -> str:
    return f"{prefix}{escape(str(value))}{suffix}"


def _is_marker(param, slot_of: dict) -> bool:
    return isinstance(param, int | str) and not isinstance(param, bool) and param in slot_of


# Cursors kept per connection, one for each statement text (shop.core.compiled._cursor); the oldest goes first.
_KEPT_CURSORS = 64


def _cursor(connection, sql: str):
    """The cursor kept for this statement on this connection, wrapped as connection.cursor() wraps its own (errors
    turned into Django's, queries logged when Django logs them, the connection's health checked once a request).

    A driver's cursor learns how to read each column and send each parameter of a statement: a new cursor for each
    run learnt it again, about 20 µs of CPU for the product page's statement. psycopg keeps what it learnt only while
    the cursor runs the same statement (the same text object) again, so each statement has a cursor of its own: with
    one cursor for all, a page running two (a member's session, then the product) learnt both again on every view.
    A new connection gets new cursors."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    driver_connection, kept = connection.__dict__.get("_compiled_cursors", (None, None))
    if driver_connection is not connection.connection:
        kept = {}
        connection._compiled_cursors = (connection.connection, kept)
    cursor = kept.get(sql)
    if cursor is None:
        if len(kept) >= _KEPT_CURSORS:
            kept.pop(next(iter(kept))).close()
        with connection.wrap_database_errors:
            cursor = kept[sql] = connection.create_cursor()
    return connection._prepare_cursor(cursor)


def _converted(row, converters: dict, connection) -> list:
    """A row with the fields' and the database's converters applied to its columns (SQLCompiler.apply_converters)."""
    row = list(row)
    for position, (functions, expression) in converters.items():
        for function in functions:
            row[position] = function(row[position], expression, connection)
    return row


def _shape_of(value) -> int:
    """What of a value decides the statement: a list's length, or whether it is None."""
    if isinstance(value, list | tuple):
        return len(value)
    return -2 if value is None else -1
