"""Sessions for the benchmark's clients: signed-in members made server-side, and a CSRF token for each.

    python bench/clients.py http://127.0.0.1:8765     # run by bench/run.sh, with its environment

A member's session is written with Django's SessionStore and the auth keys `login()` would set (user id, backend,
password hash), so no sign-in form or rate limit is involved; a guest's session is an empty one. Each client then
GETs a product page once with its session cookie to receive the `csrftoken` cookie its POSTs need (the token in
the form is the cookie's value, which Django accepts). Over plain HTTP (the bench sets SECURE_SSL_REDIRECT=false and
sends no X-Forwarded-Proto) CSRF does not check the Referer.

Writes BENCH_RUN_OUT/cookies.json: {"member": "<Cookie header>"} for the signed-in page runs.
"""

import json
import os
import sys
from pathlib import Path

import requests

BASE_DIR = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("BENCH_RUN_OUT", BASE_DIR / "bench" / "out"))


def django_setup() -> None:
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def session_create(email: str | None = None) -> str:
    """A new session key: signed in as the member with this e-mail address, or a guest's when None."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from shop.accounts.models import User

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    if email is not None:
        user = User.objects.get(email=email)
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def csrf_client(base_url: str, session_key: str, product_path: str) -> tuple[str, str]:
    """(Cookie header, CSRF token) for a session: one GET of a page with a form gives the csrftoken cookie."""
    from django.conf import settings

    cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}"
    response = requests.get(base_url + product_path, headers={"Cookie": cookie}, allow_redirects=False, timeout=30)
    if response.status_code != 200:
        raise SystemExit(f"{product_path} answered {response.status_code} to the session {session_key[:6]}…")
    token = response.cookies.get(settings.CSRF_COOKIE_NAME)
    if not token:
        raise SystemExit(f"{product_path} set no {settings.CSRF_COOKIE_NAME} cookie")
    return f"{cookie}; {settings.CSRF_COOKIE_NAME}={token}", token


def a_product_path() -> str:
    from shop.catalog.models import Product

    return Product.objects.filter(is_active=True).order_by("id").first().get_absolute_url()


def member_cookie(base_url: str) -> str:
    """The Cookie header of the bench's signed-in member: a new session and its csrftoken, as a browser sends them."""
    from bench.load_catalog import MEMBER_EMAIL

    return csrf_client(base_url, session_create(MEMBER_EMAIL), a_product_path())[0]


def main() -> None:
    django_setup()
    from bench.load_catalog import MEMBER_EMAIL

    cookie = member_cookie(sys.argv[1])
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "cookies.json").write_text(json.dumps({"member": cookie}))
    print(f"signed-in session for {MEMBER_EMAIL} in {OUT / 'cookies.json'}")


if __name__ == "__main__":
    main()
