"""Django's database sessions, each read with its signed-in member in one statement compiled once per process.

Every request with a session cookie reads its session, and a member's then reads the member (Django's get_user): two
statements on every page a member sees. The session row here (`MemberSession`) keeps the member's id beside the data
(written with the data, from the data's own `_auth_user_id`), so the statement that reads the session reads the
member too: their columns and what shop.accounts.backends reads with every user (two-factor, analytics choice, the
cart's units), as a JSON column. The backend's get_user takes that member when it asks for the same id, and checks
it as Django does (active, and the session's hash of the password). The session's data, its signing and expiry, and
everything else are Django's; the time is the database's (`Now()`), so the statement never changes.
"""

from copy import deepcopy

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends import db
from django.db.models import OuterRef
from django.db.models.functions import Now

from shop.core.compiled import CompiledQuery
from shop.core.jsonrows import JSONRows, instances

from .backends import user_annotations, user_read_with_session
from .models import MemberSession


def _session_queryset(*, session_key: str):
    user_model = get_user_model()
    member = user_model._default_manager.filter(pk=OuterRef("user_id"))
    columns = {field.attname: field.attname for field in user_model._meta.concrete_fields}
    return MemberSession.objects.filter(session_key=session_key, expire_date__gt=Now()).annotate(
        member_data=JSONRows(member, {**columns, **user_annotations()})
    )


_SESSION = CompiledQuery(_session_queryset, "session_key")

# Session data decoded in this process, by the signed text and what it was checked with. A member sends the same
# session on every page until something in it changes, and checking its signature (an HMAC, a key derived from the
# secret, base64 and JSON) cost about 16 µs a request. Only data whose signature held is kept.
_DECODED: dict[tuple, dict] = {}
_DECODED_KEPT = 2048
_SCALARS = frozenset({str, int, float, bool, type(None)})


def _copied(value):
    """A copy of decoded session data: dicts and lists copied, scalars as they are (what JSON gives), anything
    else deep-copied. Faster than deepcopy for the JSON a session holds (a member's has a list): a read of remembered
    data, the lookup included, 18 → 8 µs."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        return {key: _copied(item) for key, item in value.items()}
    if kind is list:
        return [_copied(item) for item in value]
    return deepcopy(value)


class SessionStore(db.SessionStore):
    @classmethod
    def get_model_class(cls):
        return MemberSession

    def _get_session_from_db(self):
        found = _SESSION.objects(session_key=self.session_key)
        session = found[0] if found else None
        member = instances(get_user_model(), session.member_data) if session else []
        user_read_with_session(session.user_id if member else None, member[0] if member else None)
        if session is None:
            self._session_key = None
        return session

    def decode(self, session_data):
        """Django's decode, remembered per process (`_DECODED`). Each caller gets its own copy to change."""
        key = (session_data, self.key_salt, settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
        data = _DECODED.get(key)
        if data is None:
            data = super().decode(session_data)
            if not data:  # a bad signature or an empty session: Django's answer (and log), every time
                return data
            if len(_DECODED) >= _DECODED_KEPT:
                _DECODED.pop(next(iter(_DECODED), None), None)  # the oldest
            _DECODED[key] = data
        return _copied(data)

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        try:
            session.user_id = int(data[SESSION_KEY])
        except (KeyError, TypeError, ValueError):
            session.user_id = None
        return session
