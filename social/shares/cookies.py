"""The two first-party cookies: a random visitor id, and the last share clicked (signed, 7 days)."""

import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from .constants import ATTRIBUTION_WINDOW, SHARE_COOKIE, SHARE_COOKIE_SALT, VISITOR_COOKIE

_VISITOR_MAX_AGE = 60 * 60 * 24 * 365


@dataclass(frozen=True)
class SharedVisit:
    link_id: int
    clicked_at: datetime.datetime


def visitor_key(request) -> tuple[str, bool]:
    """This browser's visitor id, and whether it is new (so the response must set it)."""
    key = request.COOKIES.get(VISITOR_COOKIE, "")
    if len(key) == 32 and key.isalnum():
        return key, False
    return uuid.uuid4().hex, True


def set_visitor_key(response, key: str) -> None:
    response.set_cookie(
        VISITOR_COOKIE,
        key,
        max_age=_VISITOR_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def shared_visit(request) -> SharedVisit | None:
    value = request.get_signed_cookie(SHARE_COOKIE, default=None, salt=SHARE_COOKIE_SALT, max_age=ATTRIBUTION_WINDOW)
    try:
        link_id, timestamp = (int(part) for part in value.split(":"))
    except (AttributeError, ValueError):
        return None
    return SharedVisit(link_id=link_id, clicked_at=datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC))


def set_shared_visit(response, *, link_id: int) -> None:
    value = f"{link_id}:{int(timezone.now().timestamp())}"
    response.set_signed_cookie(
        SHARE_COOKIE,
        value,
        salt=SHARE_COOKIE_SALT,
        max_age=int(ATTRIBUTION_WINDOW.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
