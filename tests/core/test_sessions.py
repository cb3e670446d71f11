"""shop.core.sessions: Django's database sessions, read by a statement compiled once."""

import datetime
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

pytestmark = pytest.mark.django_db


def store(key=None):
    return import_module(settings.SESSION_ENGINE).SessionStore(key)


def test_a_saved_session_is_read_back_in_one_query(django_assert_num_queries):
    first, second = store(), store()
    first["cart_token"], second["cart_token"] = "a", "b"
    first.create()
    second.create()
    with django_assert_num_queries(1):
        assert store(first.session_key)["cart_token"] == "a"
    with django_assert_num_queries(1):
        assert store(second.session_key)["cart_token"] == "b"


def test_an_expired_or_unknown_session_is_empty_and_gets_a_new_key_when_saved():
    old = store()
    old["cart_token"] = "a"
    old.create()
    Session.objects.filter(session_key=old.session_key).update(expire_date=timezone.now() - datetime.timedelta(1))
    for key in (old.session_key, "x" * 32):
        session = store(key)
        assert session.load() == {} and session.session_key is None
        session["cart_token"] = "b"
        session.save()
        assert session.session_key not in (None, key)
    assert Session.objects.get(session_key=old.session_key).get_decoded() == {
        "cart_token": "a"
    }  # left for clearsessions
