"""A member's share links for a product are made on their first view of its page, within the page's query budget
(the viewer statement reads them; a second statement makes them when some are missing:
social.selectors.product_viewer)."""

import pytest
from allauth.account.models import EmailAddress
from django.utils import translation

from shop.accounts.privacy_services import legal_accept_current
from social.shares.models import ShareLink
from social.shares.services import product_share_codes_ensure
from tests.factories import ProductFactory, UserFactory, VariantFactory
from tests.test_query_budgets import PRODUCT

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(db):
    user = UserFactory(email="sharer@example.jp", display_name="sharer")
    legal_accept_current(user=user)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def test_a_members_first_view_makes_one_link_per_channel_within_the_budget(
    client, member, django_assert_max_num_queries
):
    """And the second view makes none: one statement fewer."""
    product = VariantFactory(stock=5).product
    warmed = VariantFactory(stock=5).product  # the session and caches warmed on another product's page
    client.force_login(member)
    with translation.override("ja"):
        assert client.get(warmed.get_absolute_url()).status_code == 200

        with django_assert_max_num_queries(PRODUCT) as first_view:
            first = client.get(product.get_absolute_url())
        links = list(ShareLink.objects.filter(sharer=member, product=product))
        with django_assert_max_num_queries(PRODUCT) as second_view:
            second = client.get(product.get_absolute_url())
    assert len(second_view.captured_queries) == len(first_view.captured_queries) - 1

    assert first.status_code == second.status_code == 200
    assert sorted(link.channel for link in links) == sorted(ShareLink.Channel.values)
    assert ShareLink.objects.filter(sharer=member, product=product).count() == len(ShareLink.Channel.values)
    for page in (first, second):  # the share buttons carry the member's links from the first view on
        html = page.content.decode()
        assert all(link.code in html for link in links)  # LINE, X and Facebook carry the URL quoted


def test_product_share_codes_are_made_once(member, django_assert_num_queries):
    product = ProductFactory()
    with django_assert_num_queries(1):
        codes = product_share_codes_ensure(sharer=member, product_id=product.pk)
    with django_assert_num_queries(1):
        again = product_share_codes_ensure(sharer=member, product_id=product.pk)
    assert codes == again
    assert set(codes) == set(ShareLink.Channel.values)
    assert dict(ShareLink.objects.filter(sharer=member, product=product).values_list("channel", "code")) == codes
