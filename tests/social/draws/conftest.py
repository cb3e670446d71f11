import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages():
    """The services' messages are checked in English; pages (Japanese by default) are checked in Japanese."""
    with translation.override("en"):
        yield
