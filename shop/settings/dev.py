"""Local development and the demo: debug on, SQLite and inline tasks unless DATABASE_URL / REDIS_URL are set."""

from .base import *  # noqa: F403

DEBUG = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# A template or code change shows on the next reload, also to a signed-out browser (settings.SHOP_VISITOR_PAGE_...).
SHOP_VISITOR_PAGE_CACHE_SECONDS = env.int("SHOP_VISITOR_PAGE_CACHE_SECONDS", default=0)  # noqa: F405
