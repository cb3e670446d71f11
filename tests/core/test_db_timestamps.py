"""shop.core.db.postgresql: timestamps are read by psycopg's C loader and come out as Django's own loader gives them."""

import datetime

import psycopg
import pytest
from django.db import DataError, connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.utils import timezone

from shop.catalog.models import Feature

pytestmark = pytest.mark.django_db

VALUES = [
    "2026-11-24 21:14:03.123456+00",
    "2026-01-01 00:00:00+09",  # another offset: the same instant in UTC
    "1999-12-31 23:59:59.999999-05:30",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
]


def _read(cursor, text: str):
    cursor.execute("SELECT %s::timestamptz", [text])
    return cursor.fetchone()[0]


def test_timestamps_come_out_as_djangos_loader_gives_them():
    with connection.cursor() as ours, connection.cursor() as djangos:
        register_tzloader(connection.timezone, djangos.cursor)  # Django's Python loader on this cursor only
        assert (
            ours.cursor.adapters.get_loader(1184, psycopg.pq.Format.TEXT).__module__ == "shop.core.db.postgresql.base"
        )
        assert djangos.cursor.adapters.get_loader(1184, psycopg.pq.Format.TEXT).__module__.endswith("psycopg_any")
        for text in VALUES:
            value = _read(ours, text)
            assert value == _read(djangos, text)
            assert value.tzinfo is datetime.UTC, "Django's time zone object, as its loader sets"
            assert value.utcoffset() == datetime.timedelta(0)


def test_a_timestamp_out_of_pythons_range_fails_as_with_djangos_loader():
    with connection.cursor() as ours, connection.cursor() as djangos:
        register_tzloader(connection.timezone, djangos.cursor)
        for cursor in (ours, djangos):
            with pytest.raises(DataError):
                _read(cursor, "infinity")


def test_models_read_their_times_through_the_shops_loader():
    loader = connection.connection.adapters.get_loader(1184, psycopg.pq.Format.TEXT)
    assert loader.__qualname__.startswith("_timestamptz_loader"), "shop.core.db.postgresql's loader"
    assert loader.timezone == connection.timezone, "so Django's create_cursor keeps it"
    starts = timezone.make_aware(datetime.datetime(2026, 12, 1, 9, 30, 15, 250000))  # Tokyo time
    feature = Feature.objects.create(
        title="Winter", slug="winter", starts_at=starts, ends_at=starts + datetime.timedelta(days=7)
    )
    read = Feature.objects.get(pk=feature.pk)
    assert read.starts_at == starts
    assert read.starts_at.tzinfo is datetime.UTC
    assert timezone.localtime(read.starts_at).strftime("%Y-%m-%d %H:%M:%S.%f") == "2026-12-01 09:30:15.250000"
    assert read.created_at == feature.created_at
