"""Settings shared by every environment. Everything that differs between machines comes from the environment."""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-insecure-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute URLs in link previews (Open Graph) and e-mails; the request host is used when empty.
SITE_URL = env("SITE_URL", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.line",
    "allauth.usersessions",
    "django_htmx",
    "django_celery_beat",
    "import_export",
    "simple_history",
    "shop.core",
    "shop.accounts",
    "shop.notifications",
    "shop.catalog",
    "shop.orders",
    "shop.reviews",
    "shop.support",
    "shop.dashboard",
    "loyalty",
    "payments",
    "social",
    "social.shares",
    "social.rewards",
    "social.draws",
    "social.recommend",
    "social.perks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "shop.core.csp.ShopCSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "shop.accounts.middleware_device.KnownBrowserCookieMiddleware",
    "shop.core.middleware.ShopLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "shop.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "shop.accounts.middleware_privacy.PolicyAcceptanceMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "social.shares.middleware.ShareAttributionMiddleware",
]

ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "shop.core.context_processors.site",
                "shop.catalog.context_processors.navigation",
                "shop.orders.context_processors.cart_summary",
                "shop.accounts.context_processors.privacy",
            ],
        },
    },
    {
        # The most visited pages (shop/jinja_env.py says why), with the same context processors.
        "BACKEND": "shop.jinja_env.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "jinja_templates"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "shop.jinja_env.environment", "context_processors": []},
    },
]
# The csrf processor too: the Jinja2 backend's own `csrf_token` makes a new masked token each time a template reads it.
TEMPLATES[1]["OPTIONS"]["context_processors"] = [
    *TEMPLATES[0]["OPTIONS"]["context_processors"],
    "django.template.context_processors.csrf",
]

# Without DATABASE_URL the demo runs on SQLite and needs nothing installed.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's runserver answers requests in threads: writers queue (IMMEDIATE) instead of failing "locked".
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Prepared statements: psycopg prepares a statement once a connection has run it five times, and PostgreSQL then
    # plans it once instead of on every run (planning the related products of a product page took it longer than
    # running them). They need parameters bound by the server. Off (0) behind a pooler that cannot keep them. Added
    # to the options of DATABASE_URL (e.g. ?sslmode=require), not instead of them.
    _prepare_threshold = env.int("DB_PREPARE_THRESHOLD", default=5)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=_prepare_threshold > 0, prepare_threshold=_prepare_threshold or None
    )
    # The planner's cost of a page read at random, set for the shop's connections: 1.1 (PostgreSQL's default, 4, is
    # for spinning disks; on SSDs and with the working set in memory, 1.1 is the usual advice). With 4, the session
    # statement found the member's row and cart by scanning small tables rather than through their unique indexes,
    # about a third more of PostgreSQL's CPU for that statement on every page a member sees. Sent as a startup option
    # (`options`, after any in DATABASE_URL, so the shop's value wins); DB_RANDOM_PAGE_COST=0 sends none (e.g. behind
    # a PgBouncer that refuses startup options: set it on the server instead).
    _random_page_cost = env.float("DB_RANDOM_PAGE_COST", default=1.1)
    if _random_page_cost > 0:
        _options = DATABASES["default"]["OPTIONS"].get("options", "")
        DATABASES["default"]["OPTIONS"]["options"] = f"{_options} -c random_page_cost={_random_page_cost:g}".strip()
    # Django's backend with a health check that polls the connection's socket before sending `SELECT 1`.
    DATABASES["default"]["ENGINE"] = "shop.core.db.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # Django's Redis cache, except that Redis being down is a cache miss rather than a 500 (shop/core/cache.py).
    CACHES = {"default": {"BACKEND": "shop.core.cache.ResilientRedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis is the broker; without it every task runs inline (eager) so the demo needs no worker.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://localhost/")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task whose worker died before acknowledging it goes back to the queue after visibility_timeout seconds (acks
# late + Redis). Keep it above the longest countdown a task is retried with; the fault tests lower it.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker that lost Redis keeps trying to reconnect for as long as Redis is away: Celery's default stops after 100
# attempts (~46 minutes at its 30 s backoff cap) and then exits.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="shop")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "Asia/Tokyo"
# Copied into django_celery_beat's tables when beat starts (staff can pause them in admin). Each job is also a
# manage.py command. A run that waited longer than its interval is dropped: the next one does the same work.
CELERY_BEAT_SCHEDULE = {
    "rebuild-recommendations": {
        "task": "social.recommend.tasks.rebuild_recommendations",
        "schedule": crontab(minute=47),
        "options": {"expires": 60 * 60},
    },
    "release-expired-orders": {
        "task": "shop.orders.tasks.release_expired_reservations",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 5 * 60},
    },
    "reconcile-payments": {
        "task": "payments.tasks.reconcile_payments",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 10 * 60},
    },
    "publish-scheduled-posts": {
        "task": "social.tasks.publish_scheduled_posts",
        "schedule": crontab(minute="*"),
        "options": {"expires": 60},
    },
    "tally-share-attribution": {
        "task": "social.shares.tasks.tally_attribution",
        "schedule": crontab(minute=17),
        "options": {"expires": 60 * 60},
    },
    "loyalty-catch-up": {
        "task": "loyalty.tasks.catch_up",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 10 * 60},
    },
    "expire-points": {
        "task": "loyalty.tasks.expire_points",
        "schedule": crontab(minute=5, hour=3),
        "options": {"expires": 24 * 60 * 60},
    },
    "points-expiry-notices": {
        "task": "loyalty.tasks.send_expiry_notices",
        "schedule": crontab(minute=0, hour=10),
        "options": {"expires": 24 * 60 * 60},
    },
    "recompute-ranks": {
        "task": "loyalty.tasks.recompute_ranks",
        "schedule": crontab(minute=20, hour=3),
        "options": {"expires": 24 * 60 * 60},
    },
    "birthday-coupons": {
        "task": "loyalty.tasks.issue_birthday_coupons",
        # Daily, not only on the 1st: members who set their birth month later in the month get theirs too.
        "schedule": crontab(minute=0, hour=9),
        "options": {"expires": 24 * 60 * 60},
    },
    "tally-share-rewards": {
        "task": "social.rewards.tasks.tally_share_rewards",
        "schedule": crontab(minute=37),
        "options": {"expires": 60 * 60},
    },
    "lifecycle-messages": {
        "task": "loyalty.tasks.send_lifecycle_messages",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 15 * 60},
    },
    "send-scheduled-campaigns": {
        "task": "loyalty.tasks.send_scheduled_campaigns",
        "schedule": crontab(minute="*"),
        "options": {"expires": 60},
    },
    "sweep-notification-outbox": {
        "task": "shop.notifications.tasks.sweep_outbox",
        "schedule": crontab(minute="*"),
        "options": {"expires": 60},
    },
    "order-confirmations-catch-up": {
        "task": "payments.tasks.send_due_confirmations",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 5 * 60},
    },
    "bank-transfer-reminders": {
        "task": "payments.tasks.send_payment_reminders",
        "schedule": crontab(minute=0, hour=10),
        "options": {"expires": 24 * 60 * 60},
    },
    "social-digest": {
        "task": "social.tasks.send_social_digest",
        "schedule": crontab(minute=0, hour=19),
        "options": {"expires": 24 * 60 * 60},
    },
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Django's ModelBackend reading the signed-in user with one compiled statement (shop/accounts/backends.py).
    "shop.accounts.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SITE_ID = 1
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "shop.accounts.adapter.AccountAdapter"
# Password reset and sign-up answer the same whether or not an account exists; no mail goes to unknown addresses.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# Counted in the cache (Redis). Generous per IP: Japanese mobile carriers put many phones behind one address.
# login_failed: the 6th failed sign-in for one e-mail address within 5 minutes is refused, even with the right password.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip,60/h/ip",
    "reset_password": "20/m/ip,5/h/key",
    "reset_password_from_key": "20/m/ip",
}
# Each signed-in session is listed in the account area (security page) and can be ended from there.
# Off: tracking "last seen" writes to the database on every request; the session list shows sign-in time instead.
USERSESSIONS_TRACK_ACTIVITY = False

# LINE Login (allauth's LINE provider). The button is shown only when both values are set.
LINE_LOGIN_CHANNEL_ID = env("LINE_LOGIN_CHANNEL_ID", default="")
LINE_LOGIN_CHANNEL_SECRET = env("LINE_LOGIN_CHANNEL_SECRET", default="")
# LINE Messaging API (the official account): push messages and the webhook /line/webhook/. LINE_API_HOST points at
# a local stub in tests. LINE_ADD_FRIEND_URL is the official account's "add friend" link shown with link codes.
LINE_API_HOST = env("LINE_API_HOST", default="https://api.line.me")
LINE_CHANNEL_ACCESS_TOKEN = env("LINE_CHANNEL_ACCESS_TOKEN", default="")
LINE_CHANNEL_SECRET = env("LINE_CHANNEL_SECRET", default="")
LINE_ADD_FRIEND_URL = env("LINE_ADD_FRIEND_URL", default="")
SOCIALACCOUNT_PROVIDERS = {
    "line": {
        "SCOPE": ["profile", "openid", "email"],
        "APPS": (
            [{"client_id": LINE_LOGIN_CHANNEL_ID, "secret": LINE_LOGIN_CHANNEL_SECRET}]
            if LINE_LOGIN_CHANNEL_ID and LINE_LOGIN_CHANNEL_SECRET
            else []
        ),
    }
}

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="shop@example.jp")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent-mail"))  # for the file-based backend

SESSION_COOKIE_AGE = 60 * 60 * 24 * 30
# Django's database sessions, each read with its member in one statement (shop/accounts/sessions.py).
SESSION_ENGINE = "shop.accounts.sessions"
# Sessions stay in the database alone (no cached_db): while Redis is unreachable the cache drops writes and deletes
# (shop/core/cache.py), so a sign-out in that window would come back from a cached copy once Redis answers again.

# Stripe. STRIPE_API_BASE / STRIPE_JS_URL point at localstripe in tests and the demo; empty means real Stripe.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
STRIPE_JS_URL = env("STRIPE_JS_URL", default="https://js.stripe.com/v3/")

# Content-Security-Policy (django-csp), in every environment so tests see what production sends. No inline scripts
# and no inline event handlers anywhere: all JavaScript is in static files. shop.core.csp.ShopCSPMiddleware adds the
# origins of STRIPE_JS_URL (script-src, frame-src) and STRIPE_API_BASE or api.stripe.com (connect-src) per response.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # 'unsafe-inline' for styles only: templates set colour swatches and feature accent colours in style
        # attributes, and htmx adds its indicator <style>. Scripts never get 'unsafe-inline'.
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        # Real Stripe shows 3-D Secure in a frame from hooks.stripe.com.
        "frame-src": [SELF, "https://hooks.stripe.com"],
        "object-src": [NONE],
        # Chromium also checks the redirect after a form post: "Sign in with LINE" posts here, then goes to LINE.
        "form-action": [SELF, "https://access.line.me"],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
    }
}

# Google tag id ("G-XXXX"): loaded only for visitors who accepted analytics cookies (shop.dashboard.templatetags),
# and only then does the policy allow Google's tag and measurement hosts.
ANALYTICS_TAG_ID = env("ANALYTICS_TAG_ID", default="")
if ANALYTICS_TAG_ID:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"] += ["https://www.googletagmanager.com"]
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["connect-src"] += [
        "https://www.googletagmanager.com", "https://*.google-analytics.com", "https://*.analytics.google.com",
    ]  # fmt: skip
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] += [
        "https://www.googletagmanager.com", "https://*.google-analytics.com",
    ]  # fmt: skip

# Shop rules staff and operators tune.
SHOP_NAME = env("SHOP_NAME", default="Tsunagu Shop")

# Two-factor (django-otp). Each wrong code doubles the wait before the next try (factor x 1, 2, 4, 8… seconds);
# 0 would turn throttling off, so it must stay above 0.
OTP_TOTP_ISSUER = SHOP_NAME
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
SHOP_CURRENCY = "JPY"
SHOP_LOW_STOCK_THRESHOLD = env.int("SHOP_LOW_STOCK_THRESHOLD", default=5)
SHOP_PAGE_SIZE = env.int("SHOP_PAGE_SIZE", default=24)
# Catalogue pages as first-time visitors (no cookies) see them are kept this many seconds (0: off); see
# shop/core/page_cache.py.
SHOP_VISITOR_PAGE_CACHE_SECONDS = env.int("SHOP_VISITOR_PAGE_CACHE_SECONDS", default=15)
SHOP_MAX_LINE_QUANTITY = env.int("SHOP_MAX_LINE_QUANTITY", default=99)
SHOP_IMAGE_WIDTHS = (320, 640, 960)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
