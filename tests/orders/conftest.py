from importlib import import_module

import pytest
from django.conf import settings


@pytest.fixture
def session():
    """A saved guest session, as a shopper's first request leaves it."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store.create()
    return store
