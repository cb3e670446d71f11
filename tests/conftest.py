"""Shared fixtures. The suite runs against real PostgreSQL and Redis; it stops with a clear message if they are down."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests check results, not speed (speed is for bench/): no per-example deadline, which a busy 2-core
# machine (CI beside a benchmark or another test run) can overrun and fail a correct test.
hypothesis_settings.register_profile("shop", deadline=None)
hypothesis_settings.load_profile("shop")

os.environ.setdefault(
    "DJANGO_ALLOW_ASYNC_UNSAFE", "true"
)  # Playwright's sync API runs an event loop in the test thread


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def pytest_configure(config):
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] not in ("django.db.backends.postgresql", "shop.core.db.postgresql"):
        pytest.exit("The test suite needs PostgreSQL: set DATABASE_URL=postgres://…", returncode=3)
    missing = []
    if not _reachable(f"postgres://{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}", 5432):
        missing.append(f"PostgreSQL at {database['HOST']}:{database['PORT']}")
    if not _reachable(settings.REDIS_URL, 6379):
        missing.append(f"Redis at {settings.REDIS_URL}")
    if missing:
        pytest.exit("Services not available: " + ", ".join(missing) + ". Start them (see README).", returncode=3)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from shop.core.local_copies import local_forget

    cache.clear()
    local_forget()
    yield


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ],
    }


@dataclass
class WorkerProcess:
    """A running `celery -A shop worker` and what a test needs to wait on it."""

    process: subprocess.Popen
    queue: str
    log_path: Path
    mail_dir: Path

    def sent_mail(self) -> list[str]:
        """Messages the worker sent (the file-based backend writes one file per connection)."""
        if not self.mail_dir.exists():
            return []
        texts = [path.read_text(errors="replace") for path in sorted(self.mail_dir.iterdir())]
        return [part for text in texts for part in text.split("-" * 79) if part.strip()]

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_until(self, condition, *, what: str, timeout: float = 30.0):
        """Polls condition until it is truthy; fails with the worker's log if it never is or the worker dies."""
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if self.process.poll() is not None:
                pytest.fail(
                    f"The Celery worker exited ({self.process.returncode}) before {what}:\n{self.log()[-4000:]}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}. Worker log:\n{self.log()[-4000:]}")
            time.sleep(0.1)


def _database_url(database: dict) -> str:
    user = quote(database["USER"] or "", safe="")
    password = quote(database["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    address = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    return f"postgres://{credentials}{address}/{quote(database['NAME'])}"


def _die_with_parent() -> None:
    """Linux: the worker gets SIGTERM if pytest itself is killed, so no orphan keeps the test database open."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


@pytest.fixture
def celery_worker_process(transactional_db, _media_root, settings, tmp_path):
    """A real Celery worker on a queue of its own, reading the test database, Redis and this test's MEDIA_ROOT.

    The test process publishes to Redis too (not eager) for as long as the fixture lives. Needs a transactional
    test: the worker is another process and only sees committed rows.
    """
    import redis
    from django.db import connection

    from shop.celery import app

    queue = f"test-worker-{uuid.uuid4().hex[:12]}"  # stale workers of other runs listen elsewhere
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        # The settings `make worker` uses; everything machine-specific comes from the environment as in production.
        "DJANGO_SETTINGS_MODULE": "shop.settings.dev",
        "DATABASE_URL": _database_url(connection.settings_dict),  # the test database pytest-django created
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "MEDIA_ROOT": str(media_root),
        # E-mail the worker sends lands in files the test can count.
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "worker-mail"),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "celery-worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                *("-m", "celery", "-A", "shop", "worker", "--pool=solo", "--loglevel=INFO"),
                *("--queues", queue, "--hostname", f"{queue}@%h"),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    saved = (app.conf.task_always_eager, app.conf.task_default_queue)
    # The app read its configuration from the test settings (eager) already, so switch the app itself.
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    worker = WorkerProcess(process=process, queue=queue, log_path=log_path, mail_dir=tmp_path / "worker-mail")
    try:
        worker.wait_until(lambda: " ready." in worker.log(), what="the worker to be ready")
        yield worker
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = saved
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        with contextlib.suppress(redis.RedisError):
            # The queue and the exchange binding kombu keeps for it, so runs leave nothing behind in Redis.
            redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(
                queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
            )


# --- localstripe: a real fake-Stripe process for the payment tests ------------------------------------------------


@dataclass
class LocalStripe:
    url: str
    process: subprocess.Popen

    def register_webhook(self, *, url: str, secret: str, name: str = "tests") -> None:
        import urllib.parse
        import urllib.request

        data = urllib.parse.urlencode({"url": url, "secret": secret}).encode()
        urllib.request.urlopen(f"{self.url}/_config/webhooks/{name}", data=data, timeout=5).read()

    def clear_webhooks(self, name: str = "tests") -> None:
        import urllib.request

        request = urllib.request.Request(f"{self.url}/_config/webhooks/{name}", method="DELETE")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(request, timeout=5).read()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe_server(tmp_path_factory):
    """localstripe started once per test session on a free port (its data pickle goes to a private temp dir)."""
    port = _free_port()
    tmp = tmp_path_factory.mktemp("localstripe")
    log = open(tmp / "localstripe.log", "wb")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).resolve().parent.parent / "scripts" / "localstripe_server.py"),
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "TMPDIR": str(tmp)},
        preexec_fn=_die_with_parent,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not _reachable(url, port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("localstripe did not start: " + (tmp / "localstripe.log").read_text(errors="replace"))
        time.sleep(0.1)
    yield LocalStripe(url=url, process=process)
    process.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    log.close()


@pytest.fixture
def stripe_settings(settings, localstripe_server):
    """Point the shop at localstripe, as the demo does."""
    settings.STRIPE_SECRET_KEY = "sk_test_shop"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_shop"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_shop"
    settings.STRIPE_API_BASE = localstripe_server.url
    settings.STRIPE_JS_URL = f"{localstripe_server.url}/js.stripe.com/v3/"
    return settings


@pytest.fixture
def shipping_methods(db):
    """The shipping methods the data migration creates. Transactional tests flush tables, so they come back here."""
    import importlib

    from shop.orders.models import ShippingMethod

    defaults = importlib.import_module("shop.orders.migrations.0003_default_shipping_methods").DEFAULTS
    return [ShippingMethod.objects.get_or_create(code=row["code"], defaults=row)[0] for row in defaults]


# --- Two-factor: the admin needs a session verified by an OTP device ----------------------------------------------


def otp_device_for(user):
    """A confirmed TOTP device for user (made once); compute its current code with `totp_code(device)`."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="tests", confirmed=True)


def totp_code(device, *, offset_steps: int = 0) -> str:
    """The code an authenticator app would show now (or `offset_steps` periods later) for device."""
    from django_otp.oath import totp

    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset_steps)
    return f"{code:0{device.digits}d}"


@pytest.fixture
def otp_login():
    """`otp_login(client, user)`: signs user in on the test client with a session an OTP device has verified
    (what the admin and the two-factor middleware require). Returns the device."""
    from django_otp import DEVICE_ID_SESSION_KEY

    def login(client, user):
        device = otp_device_for(user)
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return device

    return login


@pytest.fixture
def admin_client_verified(client, otp_login, db):
    """The test client signed in as a superuser whose session is OTP-verified."""
    from tests.factories import UserFactory

    user = UserFactory(email="admin-otp@example.jp", is_staff=True, is_superuser=True)
    otp_login(client, user)
    client.user = user
    return client


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Transactional tests last, as pytest-django orders them: their flush at teardown also removes the rows data
    migrations create (shipping methods, legal pages, staff roles) that ordinary tests rely on. pytest-playwright
    regroups the tests by browser after pytest-django sorted them, so the order is restored here."""

    def transactional(item) -> bool:
        marker = item.get_closest_marker("django_db")
        marked = marker is not None and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))
        fixtures = getattr(item, "fixturenames", ())
        return bool(marked) or "transactional_db" in fixtures or "live_server" in fixtures

    items.sort(key=transactional)
