"""Production settings and response headers: `check --deploy` clean, HTTPS-only cookies, HSTS, CSP without inline
scripts, and templates that need no inline script to work."""

import importlib
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.urls import reverse

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent.parent
SECURITY_SETTINGS = (
    "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE",
    "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "X_FRAME_OPTIONS",
)  # fmt: skip


def production_env(**extra) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shop.settings.production", **extra}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by tests/conftest.py for Playwright, never in production
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(60))
    return env


def run_manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


# --- Production settings ------------------------------------------------------------------------------------------


def test_check_deploy_is_clean_under_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


@pytest.mark.parametrize("secret_key", ["", "dev-insecure-change-me", "django-insecure-abc", "short-but-not-empty"])
def test_production_refuses_a_missing_or_weak_secret_key(secret_key):
    result = run_manage("check", env=production_env(SECRET_KEY=secret_key))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY" in result.stderr


@pytest.fixture
def production_security(monkeypatch):
    """The security settings of shop.settings.production, applied to this test process."""
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(60))
    monkeypatch.delitem(sys.modules, "shop.settings.production", raising=False)
    production = importlib.import_module("shop.settings.production")
    monkeypatch.delitem(sys.modules, "shop.settings.production")
    assert production.DEBUG is False and production.SECRET_KEY != django_settings.SECRET_KEY
    with override_settings(**{name: getattr(production, name) for name in SECURITY_SETTINGS}):
        yield production


@pytest.mark.django_db
def test_production_responses_carry_the_security_headers(client, production_security):
    assert client.get("/healthz").status_code == 301  # plain HTTP goes to HTTPS

    response = client.get("/", secure=True)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response
    assert response.cookies["csrftoken"]["secure"] is True


@pytest.mark.django_db
def test_session_cookie_is_https_only_and_hidden_from_scripts(client, production_security):
    UserFactory(email="hanako@example.jp", password="tsunagu-pass-2025")

    response = client.post(
        reverse("account_login"), {"login": "hanako@example.jp", "password": "tsunagu-pass-2025"}, secure=True
    )

    assert response.status_code == 302, response.content[:300]
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] is True and cookie["httponly"] is True


# --- Content-Security-Policy --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_csp_is_strict_for_scripts_on_every_page_in_every_environment(client):
    directives = csp_directives(client.get("/"))

    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'", "https://js.stripe.com"]
    assert not any("unsafe" in value for value in directives["script-src"])
    assert directives["connect-src"] == ["'self'", "https://api.stripe.com"]
    assert set(directives["frame-src"]) == {"'self'", "https://js.stripe.com", "https://hooks.stripe.com"}
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert "'self'" in directives["form-action"]


@pytest.mark.django_db
def test_csp_follows_the_stripe_settings_of_the_moment(client, settings):
    settings.STRIPE_JS_URL = "http://127.0.0.1:8420/js.stripe.com/v3/"
    settings.STRIPE_API_BASE = "http://127.0.0.1:8420"

    directives = csp_directives(client.get("/"))

    assert directives["script-src"] == ["'self'", "http://127.0.0.1:8420"]
    assert directives["connect-src"] == ["'self'", "http://127.0.0.1:8420"]
    assert "https://js.stripe.com" not in directives["script-src"]


INLINE_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
EVENT_HANDLER = re.compile(r"<[a-zA-Z][^>]*?\son[a-z]+\s*=", re.DOTALL)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def test_templates_have_no_inline_scripts_or_event_handlers():
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT)
        for attributes, body in INLINE_SCRIPT.findall(text):
            # JSON-LD (and other JSON) is a data block the browser never runs; CSP allows it.
            if body.strip() and not re.search(r"""type\s*=\s*["']application/(ld\+)?json["']""", attributes):
                offenders.append(f"{name}: inline <script>")
        offenders += [f"{name}: inline event handler {m.group(0)[-30:]!r}" for m in EVENT_HANDLER.finditer(text)]
        offenders += [f"{name}: javascript: URL" for _ in JS_URL.finditer(text)]
    assert offenders == []
