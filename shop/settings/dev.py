"""Local development and the demo: debug on, SQLite and inline tasks unless DATABASE_URL / REDIS_URL are set."""

from .base import *  # noqa: F403

DEBUG = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
