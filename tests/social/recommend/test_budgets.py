"""The pages keep their query budgets with recommendations computed and access rules in force: the block is
loaded by htmx after the page and has a fixed budget of its own."""

import pytest

from shop.orders.models import Cart, CartLine
from social.perks.models import AccessRule
from social.recommend import services
from tests.catalog.test_views import make_products

from .conftest import grant, paid_order

pytestmark = pytest.mark.django_db

PAGES = {"/": 7, "/products/": 7, "/c/tops/": 7}


@pytest.fixture
def computed(shop):
    rule = AccessRule.objects.create(name="会員限定セール", audience=AccessRule.Audience.MEMBERS)
    rule.products.add(shop.E)
    services.recommendations_rebuild()
    return shop


@pytest.mark.parametrize("path", list(PAGES))
def test_listing_pages_keep_their_budget(client, computed, path, django_assert_max_num_queries):
    make_products(20, computed.knit)
    client.get(path)
    with django_assert_max_num_queries(PAGES[path]) as small:
        html = client.get(path).content.decode()
    make_products(60, computed.knit)
    client.get(path)  # the products on sale per category are counted again once after the catalogue changed
    with django_assert_max_num_queries(PAGES[path]) as large:
        client.get(path)
    assert len(small.captured_queries) == len(large.captured_queries)
    if path == "/":
        assert 'hx-get="/recommend/home/"' in html
    else:
        assert "会員限定セール" in html  # the badge on E's card, from the cached rules


def test_product_page_keeps_its_budget_cold(client, computed, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        html = client.get(computed.A.get_absolute_url()).content.decode()
    assert f'hx-get="/recommend/product/?p={computed.A.pk}&amp;c={computed.knit.pk}"' in html
    with django_assert_max_num_queries(8):
        html = client.get(computed.E.get_absolute_url()).content.decode()
    assert "会員限定セール" in html


def test_cart_page_keeps_its_budget(client, computed, django_assert_max_num_queries):
    client.get("/")
    session = client.session
    cart = Cart.objects.create()
    session["cart_token"] = str(cart.token)
    session.save()
    CartLine.objects.create(cart=cart, variant=computed.A.variants.first(), quantity=1)
    client.get("/cart/")
    with django_assert_max_num_queries(6) as one:
        html = client.get("/cart/").content.decode()
    CartLine.objects.create(cart=cart, variant=computed.C.variants.first(), quantity=1)
    with django_assert_max_num_queries(6) as two:
        client.get("/cart/")
    assert len(one.captured_queries) == len(two.captured_queries)
    assert 'hx-get="/recommend/cart/"' in html


@pytest.mark.parametrize("slot", ["home", "product", "cart"])
def test_the_block_runs_a_fixed_number_of_queries(client, computed, slot, django_assert_max_num_queries):
    grant(computed.member)
    client.force_login(computed.member)
    params = {"p": computed.A.pk, "c": computed.knit.pk} if slot == "product" else {}
    client.get(f"/recommend/{slot}/", params)
    with django_assert_max_num_queries(12) as small:
        client.get(f"/recommend/{slot}/", params)
    make_products_bought_with(computed)
    services.recommendations_rebuild()
    with django_assert_max_num_queries(12) as large:
        client.get(f"/recommend/{slot}/", params)
    assert len(small.captured_queries) == len(large.captured_queries)


def make_products_bought_with(shop):
    make_products(10, shop.knit)
    from shop.catalog.models import Product

    extra = list(Product.objects.filter(category=shop.knit, name__startswith="商品").exclude(slug__startswith="item-"))
    for product in extra:
        paid_order(shop.buyers[0], [shop.A, product], hours_ago=1)
    return extra
