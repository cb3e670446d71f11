"""Test settings: PostgreSQL and Redis by default (the suite is meant to run against the real services)."""

import os
import tempfile

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shop")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")

from .base import *  # noqa: E402, F403

DEBUG = False
CELERY_TASK_ALWAYS_EAGER = True
SHOP_VISITOR_PAGE_CACHE_SECONDS = 0  # the tests of the cache turn it on
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = os.environ.get("TEST_MEDIA_ROOT", os.path.join(tempfile.gettempdir(), "shop-test-media"))
CACHES = {"default": {"BACKEND": "shop.core.cache.ResilientRedisCache", "LOCATION": REDIS_URL}}  # noqa: F405
