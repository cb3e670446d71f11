"""Django's database sessions, read by a statement compiled once per process (shop.core.compiled).

Every request with a session cookie reads its session (an add to cart: one statement in three), and the ORM spent
more CPU building and compiling that lookup than PostgreSQL spends running it. The table, the data and everything
else are Django's (`SESSION_ENGINE = "shop.core.sessions"`); only the read is compiled, with the database's clock
for the expiry (`Now()`), as the statement may not change from one call to the next.
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db.models.functions import Now

from .compiled import CompiledQuery

_SESSION = CompiledQuery(
    lambda *, session_key: Session.objects.filter(session_key=session_key, expire_date__gt=Now()), "session_key"
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        found = _SESSION.objects(session_key=self.session_key)
        if found:
            return found[0]
        self._session_key = None
        return None
