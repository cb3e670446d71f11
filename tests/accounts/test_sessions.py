"""shop.accounts.sessions: Django's database sessions, each read with its member in one statement."""

import datetime
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib import auth
from django.test import RequestFactory
from django.utils import timezone

from shop.accounts.backends import user_read_with_session
from shop.accounts.models import MemberSession as Session
from tests.factories import UserFactory

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


def signed_in(user) -> str:
    """A saved session of `user`, signed in as Django's login() leaves it."""
    session = store()
    session[auth.SESSION_KEY] = str(user.pk)
    session[auth.BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[auth.HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def user_of(session_key):
    request = RequestFactory().get("/")
    request.session = store(session_key)
    return auth.get_user(request)


def test_a_member_is_read_with_their_session_in_one_statement(django_assert_num_queries):
    member = UserFactory(email="hana@example.jp")
    key = signed_in(member)
    assert Session.objects.get(session_key=key).user_id == member.pk
    with django_assert_num_queries(1):
        user = user_of(key)
        assert (user.pk, user.email, user.is_authenticated) == (member.pk, "hana@example.jp", True)
        # What the backend reads with every user comes with it (two-factor, analytics choice, the cart's units).
        assert (user.has_two_factor, user.analytics_consent, user.cart_units) == (False, None, 0)
        assert user.last_login == member.last_login and user.date_joined == member.date_joined


def test_the_member_read_with_the_session_is_checked_as_django_checks_them(django_assert_num_queries):
    member = UserFactory()
    key = signed_in(member)
    member.set_password("another-password-123")
    member.save()
    with django_assert_num_queries(3):  # the session with its member; then Django ends the session (read, delete)
        assert not user_of(key).is_authenticated  # the session's hash is of the old password
    assert not Session.objects.filter(session_key=key).exists()
    other = UserFactory()
    key = signed_in(other)
    other.is_active = False
    other.save()
    assert not user_of(key).is_authenticated


def test_a_session_whose_member_column_disagrees_reads_the_member_of_its_data(django_assert_num_queries):
    member, somebody = UserFactory(), UserFactory()
    key = signed_in(member)
    Session.objects.filter(session_key=key).update(user=somebody)
    with django_assert_num_queries(2):  # the session (with somebody), then the member its data names
        assert user_of(key).pk == member.pk


def test_a_member_read_for_an_earlier_request_is_not_used(client, django_assert_num_queries):
    member = UserFactory()
    user_read_with_session(member.pk, member)
    assert client.get("/healthz").status_code == 200  # a request starts (no session cookie: nothing read)
    with django_assert_num_queries(1):
        assert auth.get_backends()[0].get_user(member.pk).pk == member.pk


def test_a_guests_session_has_no_member_and_a_members_sessions_go_with_them():
    guest = store()
    guest["cart_token"] = "a"
    guest.create()
    assert Session.objects.get(session_key=guest.session_key).user_id is None
    assert not user_of(guest.session_key).is_authenticated
    member = UserFactory()
    key = signed_in(member)
    member.delete()
    assert not Session.objects.filter(session_key=key).exists()


def saved_data(**values) -> str:
    """The signed text of a new session holding `values`, as the database keeps it."""
    session = store()
    session.update(values)
    session.create()
    return Session.objects.get(session_key=session.session_key).session_data


@pytest.mark.parametrize(
    "recent", [None, [1, 2], [{"id": 1, "tags": ["a"]}, 2.5]], ids=["plain values", "a list", "dicts in a list"]
)
def test_session_data_is_checked_once_per_process_and_each_reader_gets_its_own_copy(monkeypatch, recent):
    from django.core import signing

    data = saved_data(cart_token="a", recent=recent)
    checked = []
    loads = signing.loads
    monkeypatch.setattr(signing, "loads", lambda *args, **kwargs: checked.append(1) or loads(*args, **kwargs))

    first = store().decode(data)
    first["cart_token"] = "changed"
    if recent:
        first["recent"].append(3)
        if isinstance(recent[0], dict):
            first["recent"][0]["tags"].append("b")
            first["recent"][0]["id"] = 2
    second = store().decode(data)
    assert second == {"cart_token": "a", "recent": recent}
    assert len(checked) == 1  # the signature was checked for the first read only


def test_data_whose_signature_fails_is_refused_every_time(caplog):
    data = saved_data(cart_token="a")
    assert store().decode(data) == {"cart_token": "a"}
    tampered = data[:-1] + ("A" if data[-1] != "A" else "B")
    for _ in range(2):
        assert store().decode(tampered) == {}
    assert [r.getMessage() for r in caplog.records].count("Session data corrupted") == 2


def test_remembered_data_is_not_used_once_the_secret_key_changes(settings):
    data = saved_data(cart_token="a")
    assert store().decode(data) == {"cart_token": "a"}
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "another-secret-" + "x" * 50
    assert store().decode(data) == {}
    settings.SECRET_KEY_FALLBACKS = [old_key]  # rotated: the old key still signs what it signed
    assert store().decode(data) == {"cart_token": "a"}


def test_the_session_hash_of_a_password_is_djangos_and_follows_the_password_and_the_secret(settings):
    from django.contrib.auth.base_user import AbstractBaseUser

    from shop.accounts.models import _session_auth_hash

    user = UserFactory()
    djangos = AbstractBaseUser._get_session_auth_hash
    first = user.get_session_auth_hash()
    hits = _session_auth_hash.cache_info().hits
    assert user.get_session_auth_hash() == first == djangos(user)
    assert _session_auth_hash.cache_info().hits == hits + 1  # remembered

    user.set_password("another-password-9")
    assert user.get_session_auth_hash() == djangos(user) != first
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "another-secret-" + "x" * 50, [old_key]
    assert user.get_session_auth_hash() == djangos(user)
    assert list(user.get_session_auth_fallback_hash()) == [djangos(user, secret=old_key)]
    assert user.get_session_auth_hash() != djangos(user, secret=old_key)
