import datetime

import pytest

from shop.notifications.selectors import JST

from .line_stub import LineStub

LINE_TOKEN = "test-token"
LINE_SECRET = "test-channel-secret"


def jst(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=JST)


@pytest.fixture(autouse=True)
def _notification_urls(settings):
    settings.ROOT_URLCONF = "tests.notifications.urls"
    settings.SITE_URL = "https://shop.example.jp"


@pytest.fixture
def line_stub(settings):
    stub = LineStub().start()
    settings.LINE_API_HOST = stub.url
    settings.LINE_CHANNEL_ACCESS_TOKEN = LINE_TOKEN
    settings.LINE_CHANNEL_SECRET = LINE_SECRET
    yield stub
    stub.stop()


@pytest.fixture
def user(db):
    from shop.accounts.privacy_services import legal_accept_current
    from tests.factories import UserFactory

    user = UserFactory(email="hanako@example.jp", display_name="花子")
    legal_accept_current(user=user)  # else signed-in pages redirect to the policy acceptance page
    return user


@pytest.fixture
def linked_user(user, line_stub):
    from shop.notifications.services import line_link_set

    line_link_set(user=user, line_user_id="U1234567890abcdef1234567890abcdef", source="code")
    return user


def give_marketing_consent(user, granted: bool = True) -> None:
    from shop.accounts.privacy_services import consent_record

    consent_record(user=user, purpose="marketing", granted=granted, source="tests")
