import pytest
from django.contrib.sessions.backends.db import SessionStore


@pytest.fixture
def session():
    """A saved guest session, as a shopper's first request leaves it."""
    store = SessionStore()
    store.create()
    return store
