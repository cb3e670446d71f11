import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections


@pytest.fixture
def connection_kept():
    """What Django's test client does around a request: the test's connection (and its transaction) stays open.
    For tests that call shop.wsgi's application directly (the bench's one-at-a-time scripts)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
