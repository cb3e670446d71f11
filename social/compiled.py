"""A queryset's SQL built and compiled once per process and database, then run again with other values.

For the few statements of a hot page whose shape never changes: building a query of several JSONRows columns and
compiling it costs the ORM far more CPU (about 10 ms for the product page's viewer query) than the database spends
running it. The queryset is built once with marker numbers in place of the values that change (ids); the markers
are found in the compiled parameters and swapped for the values of each call.

    _VIEWER = CompiledQuery(lambda *, user_id: User.objects.filter(pk=user_id).values("email"), "user_id")
    rows = _VIEWER.rows(user_id=request.user.pk)  # [{"email": ...}]

Only integer values can be markers (ids, which every lookup passes through as parameters); anything else (limits,
statuses, field lists) is part of the statement's shape and fixed when it is built. Columns come back as the
database driver returns them, without the fields' from_db_value: JSON columns as text (decode them with
shop.core.jsonrows.decoded), dates as the driver gives them.
"""

from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet

# Far outside any id the database hands out, and distinct from each other.
_MARKER_BASE = -7_300_000_000_000_000_001


class CompiledQuery:
    def __init__(self, build: Callable[..., QuerySet], *names: str):
        self._build = build
        self._names = names
        self._compiled: dict[str, tuple[str, list]] = {}

    def sql(self, using: str = "default", **values: int) -> tuple[str, list]:
        """(SQL, parameters) for these values, to run or to embed in a larger statement."""
        if set(values) != set(self._names):
            raise TypeError(f"Give exactly {', '.join(self._names)}.")
        sql, slots = self._compiled.get(using) or self._compile(using)
        return sql, [values[name] if name is not None else constant for name, constant in slots]

    def rows(self, using: str = "default", **values: int) -> list[dict]:
        sql, params = self.sql(using, **values)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            columns = [column[0] for column in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def _compile(self, using: str) -> tuple[str, list]:
        markers = {name: _MARKER_BASE - position for position, name in enumerate(self._names)}
        queryset = self._build(**markers)
        sql, params = queryset.query.get_compiler(using=using).as_sql()
        names = {marker: name for name, marker in markers.items()}
        slots = [(names[param], None) if type(param) is int and param in names else (None, param) for param in params]
        missing = set(self._names) - {name for name, _constant in slots}
        if missing or any(marker in sql for marker in map(str, names)):
            # A value the statement does not take as a parameter (inlined, or unused) cannot be swapped per call.
            raise ValueError(f"Not parameters of the compiled statement: {', '.join(sorted(missing)) or '(inlined)'}")
        self._compiled[using] = (sql, slots)
        return sql, slots
