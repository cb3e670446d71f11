"""Shared pieces of the fault and mixed-load scripts (bench/fault_pg_restart.py, bench/fault_redis_outage.py,
bench/mixed_load.py) and of the card checkout benchmark (bench/bench_checkout.py).

A throwaway PostgreSQL database migrated and seeded with a few products, the shop under gunicorn with the
production settings bench/run.sh uses, localstripe and a Celery worker beside it, HTTP shoppers (requests) that go
through the real pages with CSRF and a session cookie (the card paid as Stripe.js would), a recorder of every
response, and the database checks run afterwards.
"""

import datetime
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
OUT = ROOT / "bench" / "out"
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
STRIPE_TEST_KEY = "sk_test_bench"  # noqa: S105 - the secret key the scripts give the shop and localstripe
GOOD_CARD, DECLINED_CARD = "4242424242424242", "4000000000000341"

ADDRESS = {
    "email": "bench@example.jp",
    "name": "鈴木 太郎",
    "postal_code": "〒５３０－０００１",  # full-width, as Japanese keyboards type it
    "prefecture": "大阪府",
    "city": "大阪市北区",
    "street": "梅田1-1-1",
    "building": "つなぐビル 301",
    "phone": "06-1234-5678",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(*, database: str, redis_db: int, queue: str, extra: dict | None = None) -> dict:
    """The environment bench/run.sh gives gunicorn (production settings, plain HTTP), for another database."""
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{redis_db}",
        # Tasks go to Redis on a queue of this run's own (no worker of anyone else picks them up).
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "SECRET_KEY": "bench-only-not-a-secret-5a1f0c-" + "x" * 30,
        "DJANGO_SETTINGS_MODULE": "bench.ceiling_settings",
        "SECURE_SSL_REDIRECT": "false",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MEDIA_ROOT": str(OUT / "media"),
        "BENCH_STATIC_ROOT": str(OUT / "static"),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra or {})
    return env


def stripe_mail_env(stripe_base: str, *, webhook_secret: str, mail_dir: Path) -> dict:
    """server_env extras for localstripe as Stripe (at stripe_base, its webhooks signed with webhook_secret) and the
    e-mail written to files in mail_dir."""
    return {
        "STRIPE_SECRET_KEY": STRIPE_TEST_KEY,
        "STRIPE_PUBLISHABLE_KEY": "pk_test_bench",
        "STRIPE_WEBHOOK_SECRET": webhook_secret,
        "STRIPE_API_BASE": stripe_base,
        "STRIPE_JS_URL": f"{stripe_base}/js.stripe.com/v3/",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }


def psql(sql: str, *, url: str = PG_ADMIN_URL) -> str:
    result = subprocess.run(["psql", url, "-Atc", sql], check=True, capture_output=True, text=True)
    return result.stdout.strip()


def database_recreate(name: str, env: dict) -> None:
    """Drop and create the database, then migrate it with the server's settings (a fresh one per run)."""
    if not re.fullmatch(r"shop_[a-z_]+", name) or name in {"shop", "test_shop", "shop_bench"}:
        raise SystemExit(f"refusing to recreate the database {name!r}")
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )


def collectstatic(env: dict) -> None:
    """Manifest static files are needed under DEBUG=false; bench/run.sh collects into the same folder."""
    if not (OUT / "static" / "staticfiles.json").exists():
        subprocess.run(
            [str(VENV_BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
        )


def django_setup(env: dict) -> None:
    """Configure Django in this process with the server's environment (for seeding and the checks)."""
    for key in ("DATABASE_URL", "REDIS_URL", "CELERY_TASK_DEFAULT_QUEUE", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"):
        os.environ[key] = env[key]
    for key in ("SECURE_SSL_REDIRECT", "DEBUG", "ALLOWED_HOSTS", "MEDIA_ROOT", "BENCH_STATIC_ROOT", "LOG_LEVEL"):
        os.environ[key] = env[key]
    for key in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE"):
        if key in env:
            os.environ[key] = env[key]
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed_products(*, count: int, stock: int, prefix: str, price: int = 1980, low_stock: dict | None = None) -> dict:
    """`count` products with one variant each; returns {variant_id: {"slug", "stock"}}. low_stock: {index: stock}."""
    from loyalty.models import LoyaltySettings
    from loyalty.models.lifecycle import LifecycleSettings
    from payments.models import PaymentSettings
    from shop.catalog.models import Category, Product, Variant
    from shop.catalog.services import product_sync_from_variants
    from shop.notifications.models import NotificationSettings

    # Singleton settings rows are made on first use (get_or_create); made here so the first concurrent requests
    # of the load do not race to create them.
    for singleton in (PaymentSettings, NotificationSettings, LoyaltySettings, LifecycleSettings):
        singleton.load()

    category, _ = Category.objects.get_or_create(slug=f"{prefix}-cat", defaults={"name": "ベンチ"})
    variants = {}
    for index in range(count):
        product = Product.objects.create(
            category=category,
            name=f"ベンチ商品 {prefix} {index}",
            slug=f"{prefix}-{index}",
            brand="Lumi",
            description="負荷試験用の商品。",
        )
        units = (low_stock or {}).get(index, stock)
        variant = Variant.objects.create(
            product=product, sku=f"{prefix.upper()}-{index:04d}", size="M", colour="ネイビー", price=price, stock=units
        )
        product_sync_from_variants(product_id=product.pk)
        variants[variant.pk] = {"slug": product.slug, "stock": units}
    return variants


@dataclass
class Server:
    process: subprocess.Popen
    base_url: str
    log_path: Path
    command: list[str]

    def stop(self) -> None:
        process_stop(self.process)


def process_stop(process: subprocess.Popen | None, *, timeout: float = 20) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds (nothing to do for None or an exited one)."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def healthz(base_url: str, *, timeout: float = 5) -> int:
    """The status of the shop's /healthz, 0 if it gave no answer."""
    try:
        return requests.get(base_url + "/healthz", timeout=timeout).status_code
    except requests.RequestException:
        return 0


def gunicorn_start(env: dict, *, port: int, log_name: str, workers: int = 2) -> Server:
    OUT.mkdir(parents=True, exist_ok=True)
    log_path = OUT / log_name
    log_path.unlink(missing_ok=True)
    command = [
        str(VENV_BIN / "gunicorn"),
        "shop.wsgi",
        *("-w", str(workers)),
        *("--bind", f"127.0.0.1:{port}"),
        *("--error-logfile", str(log_path)),
        "--capture-output",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server(process, f"http://127.0.0.1:{port}", log_path, command)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if healthz(server.base_url, timeout=2) == 200:
            return server
        if process.poll() is not None:
            break
        time.sleep(0.3)
    server.stop()
    raise SystemExit("gunicorn did not answer /healthz:\n" + log_path.read_text(errors="replace")[-3000:])


def start_localstripe(port: int, *, name: str) -> subprocess.Popen:
    """localstripe on 127.0.0.1:port (its pickle in a folder of this run's own); log in bench/out/NAME.localstripe.log."""
    tmp = OUT / f"{name}-localstripe-tmp" if name != "mixed_load" else OUT / "localstripe-tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    log = (OUT / f"{name}.localstripe.log").open("wb")
    process = subprocess.Popen(
        [str(VENV_BIN / "python"), "scripts/localstripe_server.py", "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "TMPDIR": str(tmp)},
    )
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/js.stripe.com/v3/", timeout=1)
            return process
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("localstripe did not start")


def localstripe_webhook(stripe_base: str, shop_url: str, *, secret: str) -> None:
    """Registers the shop's Stripe webhook endpoint with localstripe, which then signs its events with `secret`."""
    requests.post(
        f"{stripe_base}/_config/webhooks/bench",
        data={"url": f"{shop_url}/payments/webhooks/stripe/", "secret": secret},
        timeout=5,
    ).raise_for_status()


def start_worker(env: dict, *, queue: str, name: str) -> subprocess.Popen:
    """A Celery worker (solo pool) on the run's own queue; log in bench/out/NAME.worker.log."""
    log = (OUT / f"{name}.worker.log").open("wb")
    return subprocess.Popen(
        [
            str(VENV_BIN / "celery"),
            *("-A", "shop", "worker", "--pool=solo", "--loglevel=WARNING"),
            *("--queues", queue, "--hostname", f"{queue}@%h"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


# --- Recording ------------------------------------------------------------------------------------------------------


@dataclass
class Hit:
    action: str
    start: float  # time.monotonic()
    seconds: float
    status: int  # 0 = no HTTP answer (connection refused/reset, timeout)
    ok: bool
    note: str = ""


@dataclass
class Recorder:
    hits: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, hit: Hit) -> None:
        with self.lock:
            self.hits.append(hit)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def latency_summary(hits: list[Hit]) -> dict:
    times = [h.seconds * 1000 for h in hits]
    return {
        "count": len(hits),
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "p99": percentile(times, 99),
        "mean": statistics.fmean(times) if times else float("nan"),
    }


class CheckoutError(Exception):
    pass


class Shopper:
    """One guest's browser: a cookie jar, the CSRF cookie, and requests that look like they came through a TLS proxy
    (X-Forwarded-Proto: https, as production's SECURE_PROXY_SSL_HEADER expects), so CSRF checks the Referer too."""

    def __init__(self, base_url: str, recorder: Recorder, *, timeout: float = 15.0):
        self.base_url = base_url
        self.origin = "https://" + urllib.parse.urlparse(base_url).netloc
        self.recorder = recorder
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"X-Forwarded-Proto": "https", "Accept-Language": "ja"})

    def request(self, action: str, method: str, path: str, *, expect=(200,), data=None, headers=None, location=None):
        """One request, recorded. Returns the response, or None if it failed (the caller stops its flow)."""
        all_headers = {"Referer": self.origin + path, **(headers or {})}
        # requests copies the jar into one with the default policy for each request, which drops Secure cookies over
        # http: send them by hand (the jar still takes the Set-Cookie answers).
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.session.cookies)
        if cookies:
            all_headers["Cookie"] = cookies
        if data is not None and isinstance(data, dict) and "csrfmiddlewaretoken" not in data and method == "POST":
            token = self.session.cookies.get("csrftoken")
            if token and not (headers and "Stripe-Signature" in headers):
                data = {**data, "csrfmiddlewaretoken": token}
        start = time.monotonic()
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                data=data,
                headers=all_headers,
                allow_redirects=False,
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            self.recorder.add(Hit(action, start, time.monotonic() - start, 0, False, type(error).__name__))
            return None
        seconds = time.monotonic() - start
        ok = response.status_code in expect
        note = ""
        if ok and location is not None:
            target = response.headers.get("Location", "")
            ok = bool(re.search(location, target))
            note = "" if ok else f"Location {target}"
        self.recorder.add(Hit(action, start, seconds, response.status_code, ok, note))
        return response if ok else None


def place_order(
    shopper: Shopper,
    *,
    slug: str,
    variant_id: int,
    shipping_method: int,
    method: str = "bank_transfer",
    quantity=1,
    points: int = 0,
) -> tuple[str, str]:
    """Product page → add to cart → checkout details → review → place. Returns ("placed" | "sold_out" | "failed",
    the page placing led to). A flow stops at the first failed step (the recorder has its status).

    points: a signed-in member uses this many points on the review page (its discount form) before placing."""
    if shopper.request("product", "GET", f"/p/{slug}/") is None:
        return "failed", ""
    added = shopper.request(
        "cart_add", "POST", "/cart/add/", data={"variant": variant_id, "quantity": quantity}, expect=(302,)
    )
    if added is None:
        return "failed", ""
    from_shop = {**ADDRESS, "shipping_method": shipping_method, "payment_method": method}
    details = shopper.request("checkout", "POST", "/checkout/", data=from_shop, expect=(302,))
    if details is None:
        return "failed", ""
    if details.headers.get("Location", "").endswith("/cart/"):
        return "sold_out", ""  # nothing was added (sold out before it reached the cart)
    review = shopper.request("review", "GET", "/checkout/review/")
    if review is None:
        return "failed", ""
    if points:
        review = use_points(shopper, points)
        if review is None:
            return "failed", ""
    match = re.search(r'name="token" value="([0-9a-f-]{36})"', review.text)
    if not match:
        return "failed", ""
    placed = shopper.request("place", "POST", "/checkout/review/", data={"token": match.group(1)}, expect=(302,))
    if placed is None:
        return "failed", ""
    target = placed.headers.get("Location", "")
    if "/checkout/thanks/" in target or "/checkout/pay/" in target:
        return "placed", target
    if target.endswith("/cart/"):
        return "sold_out", target
    return "failed", target


def use_points(shopper: Shopper, points: int):
    """Posts the review page's discount form with `points` and returns the review page it leads back to (None if a
    step failed, or if the page does not show the points as used)."""
    applied = shopper.request(
        "use_points",
        "POST",
        "/checkout/review/discounts/",
        data={"coupon_code": "", "points": points},
        expect=(302,),
        location="/checkout/review/$",
    )
    if applied is None:
        return None
    review = shopper.request("review", "GET", "/checkout/review/")
    if review is None or not re.search(rf'name="points"[^>]*value="{points}"', review.text):
        return None
    return review


def cart_empty(shopper: Shopper) -> bool:
    """Removes every line of the shopper's cart (a member keeps one cart across flows: what a flow that stopped
    half-way left in it must not go into the next order). False if a request failed."""
    cart = shopper.request("cart", "GET", "/cart/")
    if cart is None:
        return False
    for line_id in dict.fromkeys(re.findall(r"/cart/lines/(\d+)/remove/", cart.text)):
        removed = shopper.request("cart_remove", "POST", f"/cart/lines/{line_id}/remove/", data={}, expect=(200, 302))
        if removed is None:
            return False
    return True


def sign_in(shopper: Shopper, *, email: str, password: str) -> bool:
    """Signs in through allauth's login form (GET for the CSRF cookie, then the form post), as a browser would."""
    if shopper.request("login_page", "GET", "/accounts/login/") is None:
        return False
    answer = shopper.request(
        "login",
        "POST",
        "/accounts/login/",
        data={"login": email, "password": password},
        expect=(302,),
        location=r"^/$|^https?://[^/]+/$",
    )
    return answer is not None


def stripe_js_card(stripe_base: str, card: str, *, secret_key: str = STRIPE_TEST_KEY) -> str:
    """A PaymentMethod made on localstripe as Stripe.js makes it in the browser (localstripe wants the secret key, as
    tests/payments/support.py does). Its id, or "" if localstripe gave none."""
    try:
        return requests.post(
            f"{stripe_base}/v1/payment_methods",
            auth=(secret_key, ""),
            data={
                "type": "card",
                "card[number]": card,
                "card[exp_month]": "12",
                "card[exp_year]": "2034",
                "card[cvc]": "123",
            },
            timeout=15,
        ).json()["id"]
    except (requests.RequestException, KeyError, ValueError):
        return ""


def card_pay(
    shopper: Shopper,
    stripe_base: str,
    number: str,
    *,
    declined: bool,
    record: str | None = None,
    thanks: bool = True,
    secret_key: str = STRIPE_TEST_KEY,
) -> tuple[str, dict]:
    """From the card page of order `number` on: the card (declined or good) made on localstripe as Stripe.js would,
    the card confirm posted to the shop, then the thanks page (if `thanks`) or, for the declined card, the switch to
    bank transfer. record: the Stripe.js call is recorded under this name (not recorded if None).

    Returns (outcome, the shop's answer to the card confirm or {}): "paid", "switched" (declined, then bank
    transfer), "unexpected" (an answer the card should not get), or the step that failed: "stripe_js",
    "card_confirm", "switch_method"."""
    start = time.monotonic()
    method = stripe_js_card(stripe_base, DECLINED_CARD if declined else GOOD_CARD, secret_key=secret_key)
    if record is not None:
        shopper.recorder.add(Hit(record, start, time.monotonic() - start, 200 if method else 0, bool(method)))
    if not method:
        return "stripe_js", {}
    answer = shopper.request(
        "card_confirm",
        "POST",
        f"/checkout/pay/{number}/card/",
        data={"payment_method": method},
        headers={"X-CSRFToken": shopper.session.cookies.get("csrftoken", "")},
    )
    if answer is None:
        return "card_confirm", {}
    body = answer.json()
    if body.get("status") == "succeeded" and not declined:
        if thanks:
            shopper.request("thanks", "GET", f"/checkout/thanks/{number}/")
        return "paid", body
    if body.get("status") == "failed" and declined:
        switched = shopper.request(
            "switch_method",
            "POST",
            f"/checkout/pay/{number}/method/",
            data={"payment_method": "bank_transfer"},
            expect=(302,),
            location="/checkout/thanks/",
        )
        return ("switched" if switched is not None else "switch_method"), body
    return "unexpected", body


# --- Members ----------------------------------------------------------------------------------------------------------

MEMBER_PASSWORD = "bench-Member-pw-7391"  # noqa: S105 - a throwaway account in a throwaway database


def staff_user():
    """The staff member named on the starting-balance adjustments."""
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        email="bench-staff@example.jp", defaults={"is_staff": True, "display_name": "ベンチ担当"}
    )
    return user


def member_create(*, email: str, points: int = 0, password: str = MEMBER_PASSWORD, staff=None) -> int:
    """A member who can check out at once: e-mail verified (allauth), the current privacy policy and terms accepted
    (PolicyAcceptanceMiddleware lets them through), no two-factor device (TwoFactorRequiredMiddleware), and a
    starting balance of `points` as a staff adjustment through the loyalty service. Returns the user id."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    from loyalty.services.points import points_adjust
    from shop.accounts.privacy_services import legal_accept_current

    user = get_user_model().objects.create_user(email=email, password=password)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    legal_accept_current(user=user)
    if points:
        points_adjust(
            user=user, amount=points, reason="Bench starting balance", actor=staff or staff_user(), key=f"bench:{email}"
        )
    return user.pk


def members_create(count: int, *, points: int) -> list[tuple[int, str]]:
    """`count` members (member_create) memberN@example.jp with `points` to start with: [(user id, e-mail)]."""
    return [
        (member_create(email=f"member{i}@example.jp", points=points), f"member{i}@example.jp") for i in range(count)
    ]


def shipping_method_id() -> int:
    from shop.orders.models import ShippingMethod

    return ShippingMethod.objects.get(code="standard").pk


# --- Checks on the database afterwards --------------------------------------------------------------------------------


def consistency(initial: dict) -> dict:
    """What a half-written or doubled order would break. Every value in "problems" should be 0."""
    from django.db import connection
    from django.db.models import Count, Q, Sum

    from payments.models import Payment
    from shop.catalog.models import Variant
    from shop.notifications.models import Notification
    from shop.orders.models import Order, OrderEvent, OrderLine

    connection.close()  # the connection may predate a PostgreSQL restart
    orders = Order.objects.all()
    sold = dict(
        OrderLine.objects.exclude(order__status=Order.Status.CANCELLED)
        .values_list("variant_id")
        .annotate(units=Sum("quantity"))
    )
    stock = dict(Variant.objects.filter(pk__in=initial).values_list("pk", "stock"))
    placed_events = dict(
        OrderEvent.objects.filter(message="Order placed").values_list("order_id").annotate(n=Count("id"))
    )
    problems = {
        "orders without lines": orders.annotate(n=Count("lines")).filter(n=0).count(),
        "orders whose total does not add up": orders.exclude(
            total=models_f("subtotal") + models_f("shipping_fee") + models_f("payment_fee") - models_f("discount")
        ).count(),
        "orders whose subtotal is not the sum of their lines": orders.annotate(
            s=Sum(models_f("lines__unit_price") * models_f("lines__quantity"))
        )
        .filter(s__isnull=False)
        .exclude(subtotal=models_f("s"))
        .count(),
        "variants with negative stock": sum(1 for v in stock.values() if v < 0),
        "variants where stock + sold != initial": sum(
            1 for pk, info in initial.items() if stock.get(pk, 0) + sold.get(pk, 0) != info["stock"]
        ),
        "orders without exactly one 'Order placed' event": sum(
            1 for pk in orders.values_list("pk", flat=True) if placed_events.get(pk) != 1
        ),
        "bank transfer orders without reservation (reserved_until, payment_due)": orders.filter(
            payment_method=Order.PaymentMethod.BANK_TRANSFER, paid_at=None
        )
        .exclude(status=Order.Status.CANCELLED)
        .filter(Q(reserved_until=None) | Q(payment_due=None))
        .count(),
        "bank transfer orders without exactly one open Payment of the order's total": sum(
            1
            for order in orders.filter(payment_method=Order.PaymentMethod.BANK_TRANSFER)
            .annotate(
                n=Count("payments", filter=Q(payments__method="bank_transfer")),
                ok=Count(
                    "payments",
                    filter=Q(
                        payments__method="bank_transfer",
                        payments__status=Payment.Status.PENDING,
                        payments__amount=models_f("total"),
                    ),
                ),
            )
            .values("n", "ok")
            if order["n"] != 1 or order["ok"] != 1
        ),
        "orders with more than one successful payment": Payment.objects.filter(status="succeeded")
        .values("order_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count(),
        "paid card orders without exactly one succeeded card Payment of the total": sum(
            1
            for order in orders.filter(payment_method=Order.PaymentMethod.CARD)
            .exclude(paid_at=None)
            .annotate(
                ok=Count(
                    "payments",
                    filter=Q(payments__status="succeeded", payments__method="card", payments__amount=models_f("total")),
                )
            )
            .values("ok")
            if order["ok"] != 1
        ),
        "card orders with a succeeded payment but not marked paid": orders.filter(
            payment_method=Order.PaymentMethod.CARD, paid_at=None, payments__status="succeeded"
        )
        .distinct()
        .count(),
        "order confirmations written more than once (per order and channel)": Notification.objects.filter(
            kind="order_confirmation"
        )
        .values("batch_key", "channel")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count(),
        "confirmations for orders not due one (unpaid card orders)": Notification.objects.filter(
            kind="order_confirmation",
            batch_key__in=[
                f"order_confirmation:{pk}"
                for pk in orders.filter(payment_method=Order.PaymentMethod.CARD, paid_at=None).values_list(
                    "pk", flat=True
                )
            ],
        ).count(),
    }
    due = orders.exclude(status=Order.Status.CANCELLED).exclude(payment_method=Order.PaymentMethod.CARD, paid_at=None)
    written = set(
        Notification.objects.filter(kind="order_confirmation", channel="email").values_list("batch_key", flat=True)
    )
    missing = [pk for pk in due.values_list("pk", flat=True) if f"order_confirmation:{pk}" not in written]
    return {
        "orders": orders.count(),
        "orders by status and method": {
            f"{row['payment_method']}/{row['status']}": row["n"]
            for row in orders.values("payment_method", "status").annotate(n=Count("id")).order_by()
        },
        "units sold": sum(sold.get(pk, 0) for pk in initial),
        "confirmations due but not written": len(missing),
        "problems": problems,
    }


def points_consistency(*, member_ids: list[int]) -> dict:
    """The points checks after a run with members. Every value in "problems" should be 0.

    Each paid, not cancelled member order has exactly one earn entry, of the rule's amount (items after discounts x
    the earn rate x the multiplier of the rank the member had when paying, rounded down) and one "points earned"
    notice; no other order has one. Each order that used points has exactly one redemption of exactly those points,
    and a cancelled one exactly one return of them. Each member's ledger never runs below zero (in id order, the
    order it was written in) and the balance shown (usable + pending) is the sum of the entries. Guests get none."""
    from collections import Counter

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Sum

    from loyalty.models import LoyaltySettings, PointEntry
    from loyalty.selectors.points import points_balance, rank_for_spend, rank_spend
    from shop.notifications.models import Notification
    from shop.orders.models import Order

    connection.close()
    Kind = PointEntry.Kind
    rate_hundredths = int(LoyaltySettings.load().earn_rate_percent * 100)
    entries = list(PointEntry.objects.order_by("pk"))
    by_kind_order: dict[str, Counter] = {kind: Counter() for kind in Kind.values}
    amounts: dict[tuple[str, int], int] = {}
    for entry in entries:
        if entry.order_id is not None:
            by_kind_order[entry.kind][entry.order_id] += 1
            amounts[(entry.kind, entry.order_id)] = entry.amount
    member_orders = Order.objects.filter(user_id__in=member_ids)
    earning = member_orders.exclude(paid_at=None).exclude(status=Order.Status.CANCELLED)
    earning_ids = set(earning.values_list("pk", flat=True))

    def rule_amount(order: Order) -> int:
        spend = rank_spend(user_id=order.user_id, now=order.paid_at - datetime.timedelta(microseconds=1))
        rank = rank_for_spend(spend=spend)
        multiplier = rank.earn_multiplier_percent if rank else 100
        return max(order.subtotal - order.discount, 0) * rate_hundredths * multiplier // 1_000_000

    wrong_amount = sum(1 for order in earning if amounts.get((Kind.ORDER, order.pk), 0) != rule_amount(order))
    earned_notices = Counter(
        Notification.objects.filter(kind="points_earned", channel="email").values_list("batch_key", flat=True)
    )
    used = dict(member_orders.filter(points_used__gt=0).values_list("pk", "points_used"))
    cancelled_used = set(
        member_orders.filter(points_used__gt=0, status=Order.Status.CANCELLED).values_list("pk", flat=True)
    )
    negative_running, balance_mismatch = 0, 0
    for user_id in member_ids:
        running = 0
        for entry in (e for e in entries if e.user_id == user_id):
            running += entry.amount
            if running < 0:
                negative_running += 1
                break
        shown = points_balance(user=get_user_model().objects.get(pk=user_id))
        total = PointEntry.objects.filter(user_id=user_id).aggregate(s=Sum("amount"))["s"] or 0
        balance_mismatch += shown.available + shown.pending != total
    problems = {
        "paid member orders without exactly one earn entry": sum(
            1 for pk in earning_ids if by_kind_order[Kind.ORDER][pk] != 1
        ),
        "earn entries for orders not due points (unpaid, cancelled or a guest's)": sum(
            n for pk, n in by_kind_order[Kind.ORDER].items() if pk not in earning_ids
        ),
        "earn entries whose amount is not the rule's amount": wrong_amount,
        "paid member orders without exactly one 'points earned' notice": sum(
            1 for pk in earning_ids if by_kind_order[Kind.ORDER][pk] and earned_notices[f"points_earned:{pk}"] != 1
        ),
        "orders that used points without exactly one redemption of them": sum(
            1
            for pk, points in used.items()
            if by_kind_order[Kind.REDEMPTION][pk] != 1 or amounts.get((Kind.REDEMPTION, pk)) != -points
        ),
        "redemptions on orders that used no points": sum(
            n for pk, n in by_kind_order[Kind.REDEMPTION].items() if pk not in used
        ),
        "cancelled orders whose points were not returned exactly once": sum(
            1
            for pk in cancelled_used
            if by_kind_order[Kind.REDEMPTION_RETURN][pk] != 1 or amounts.get((Kind.REDEMPTION_RETURN, pk)) != used[pk]
        ),
        "points returned for orders not cancelled": sum(
            n for pk, n in by_kind_order[Kind.REDEMPTION_RETURN].items() if pk not in cancelled_used
        ),
        "members whose ledger ran below zero": negative_running,
        "members whose balance shown is not the sum of their entries": balance_mismatch,
        "point entries of guests or of anyone not a member of the run": sum(
            1 for entry in entries if entry.user_id not in set(member_ids)
        ),
    }
    return {
        "member orders": member_orders.count(),
        "paid member orders": len(earning_ids),
        "orders that used points": len(used),
        "cancelled orders that used points": len(cancelled_used),
        "points earned": sum(e.amount for e in entries if e.kind == Kind.ORDER),
        "points used": -sum(e.amount for e in entries if e.kind == Kind.REDEMPTION),
        "entries by kind": dict(Counter(e.kind for e in entries)),
        "problems": problems,
    }


def models_f(name: str):
    from django.db.models import F

    return F(name)


def db_constraint_exists(name: str) -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_constraint WHERE conname = %s", [name])
        return cursor.fetchone()[0] == 1


def machine() -> dict:
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "uname": " ".join(platform.uname()),
        "uname_a": subprocess.run(["uname", "-a"], capture_output=True, text=True).stdout.strip(),
        "nproc": os.cpu_count(),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
        "postgres": psql("SHOW server_version"),
    }


def append_results(text: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n" + text.rstrip() + "\n")


def redis_queue_delete(*, redis_db: int, queue: str) -> None:
    """The run's Celery queue (tasks nobody consumed) and kombu's bindings for it."""
    import redis

    redis.Redis.from_url(f"redis://127.0.0.1:6379/{redis_db}").delete(
        queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
    )


def redis_queue_length(*, redis_url: str, queue: str) -> int:
    """Tasks waiting in the run's Celery queue (kombu keeps a queue as a Redis list of that name)."""
    import redis

    return redis.Redis.from_url(redis_url).llen(queue)


def dump(name: str, data) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    return path
