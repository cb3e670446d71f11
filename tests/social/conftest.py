import pytest
from allauth.account.models import EmailAddress

from shop.accounts.privacy_services import legal_accept_current
from tests.factories import UserFactory, VariantFactory


def make_member(*, display_name: str = "", verified: bool = True, **kwargs):
    user = UserFactory(display_name=display_name, **kwargs)
    legal_accept_current(user=user)
    if verified:
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def member(db):
    return make_member(display_name="はなこ")


@pytest.fixture
def other(db):
    return make_member(display_name="たろう")


@pytest.fixture
def product(db):
    return VariantFactory().product


@pytest.fixture
def signed_in(client, member):
    client.force_login(member)
    return client
