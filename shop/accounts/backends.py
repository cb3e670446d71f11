"""The authentication backend: Django's ModelBackend, with the signed-in user read by a statement compiled once.

Every request of a signed-in member reads the user (django.contrib.auth.get_user). Through the ORM that cost about
1 ms of CPU, building and compiling the same query each time; the compiled statement (shop.core.compiled) also
answers whether the user turned two-factor on (`has_two_factor`), which the two-factor middleware asks on every
request and otherwise read from the cache, and the member's latest choice on analytics cookies (`analytics_consent`:
True, False or None for never chosen), which the cookie banner asks on every page and otherwise read from the cache.

A session is read with its member in one statement (shop.accounts.sessions: the member's id is a column of the session
row); the store hands the member to get_user here, which reads the user itself only without it.

Sessions record the path of the backend that signed the user in, so changing AUTHENTICATION_BACKENDS[0] from
Django's ModelBackend to this one signed out the members who were signed in before (once, at that deploy).
"""

from collections.abc import Callable
from contextvars import ContextVar

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.db.models import Exists, Expression, OuterRef, Subquery

from shop.core.compiled import CompiledQuery

from .models import Consent
from .otp import DEVICE_MODELS

# Values of the layers above read with the user, in the same statement: {attribute: a function giving the
# expression, correlated on the user as OuterRef("pk")}. Registered in their AppConfig.ready (user_extra_register),
# before the statement is first built.
_USER_EXTRAS: dict[str, Callable[[], Expression]] = {}


def user_extra_register(name: str, expression: Callable[[], Expression]) -> None:
    """Read `expression()` with every signed-in user as `user.<name>` (e.g. shop.orders: the cart badge's units)."""
    _USER_EXTRAS[name] = expression


def user_annotations() -> dict[str, Expression]:
    """What is read with every signed-in user besides their columns, correlated on the user as OuterRef("pk")."""
    confirmed = [Exists(model.objects.filter(user=OuterRef("pk"), confirmed=True)) for model in DEVICE_MODELS]
    has_two_factor = confirmed[0]
    for other in confirmed[1:]:
        has_two_factor |= other
    analytics = Consent.objects.filter(user=OuterRef("pk"), purpose=Consent.Purpose.ANALYTICS)
    latest_analytics = analytics.order_by("-created_at", "-id").values("granted")[:1]
    return {
        "has_two_factor": has_two_factor,
        "analytics_consent": Subquery(latest_analytics),
        **{name: expression() for name, expression in _USER_EXTRAS.items()},
    }


def _user_queryset(*, pk: int):
    return get_user_model()._default_manager.filter(pk=pk).annotate(**user_annotations())


_USER = CompiledQuery(_user_queryset, "pk")

# The member read with the session of this request (shop.accounts.sessions), for get_user below: (id, user).
_read_with_session: ContextVar[tuple[int, object] | None] = ContextVar("read_with_session", default=None)


def user_read_with_session(user_id: int | None, user) -> None:
    """Set by the session store each time it reads a session (None, None when it has no member)."""
    _read_with_session.set((user_id, user) if user_id is not None else None)


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id):
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        user = self._user_read_with_session(pk)
        if user is None:
            found = _USER.objects(pk=pk)
            user = found[0] if found else None
        if user is not None and self.user_can_authenticate(user):
            return user
        return None

    @staticmethod
    def _user_read_with_session(pk: int):
        """The member the session's statement read, if it is this one; taken once (a later get_user reads again)."""
        read = _read_with_session.get()
        if read is None or read[0] != pk:
            return None
        _read_with_session.set(None)
        return read[1]
