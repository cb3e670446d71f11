"""The page cache for first-time visitors (shop/core/page_cache.py): kept and served with each visitor's own CSRF
token, bypassed by anyone with a cookie, expired by staff edits, per language."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from shop.orders.models import CartLine
from shop.reviews.models import Review
from tests.factories import ProductFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def cache_on(settings):
    settings.SHOP_VISITOR_PAGE_CACHE_SECONDS = 60


@pytest.fixture
def knit():
    product = ProductFactory(name="ふんわりニット", slug="knit")
    VariantFactory(product=product, size="M", stock=5)
    return product


def visit(path: str, **headers):
    return Client(enforce_csrf_checks=True).get(path, **headers)


def test_a_second_visitor_gets_the_kept_page_with_a_token_of_their_own_that_works(knit):
    first = visit(knit.get_absolute_url())
    browser = Client(enforce_csrf_checks=True)
    second = browser.get(knit.get_absolute_url())
    assert first.get("X-Visitor-Cache") is None and second["X-Visitor-Cache"] == "hit"
    first_html, second_html = first.content.decode(), second.content.decode()
    token = TOKEN.search(second_html).group(1)
    assert token != TOKEN.search(first_html).group(1)
    assert first_html.replace(TOKEN.search(first_html).group(1), token) == second_html
    assert second_html.count(token) >= 2  # the add-to-cart form and htmx's header
    assert "csrftoken" in second.cookies and "Cookie" in second["Vary"]

    added = browser.post(
        reverse("orders:cart_add"), {"variant": knit.variants.get().pk, "quantity": 1, "csrfmiddlewaretoken": token}
    )
    assert added.status_code == 302
    assert CartLine.objects.get().quantity == 1


def test_anyone_with_a_cookie_gets_their_own_page(knit, client):
    visit(knit.get_absolute_url())
    client.post(reverse("orders:cart_add"), {"variant": knit.variants.get().pk, "quantity": 2})  # a session now
    page = client.get(knit.get_absolute_url())
    assert page.get("X-Visitor-Cache") is None
    assert re.search(r'id="cart-badge"[^>]*>2<', page.content.decode())

    member = UserFactory()
    client.force_login(member)
    assert client.get(knit.get_absolute_url()).get("X-Visitor-Cache") is None
    assert visit(knit.get_absolute_url(), HTTP_COOKIE="analytics=granted").get("X-Visitor-Cache") is None
    assert visit(knit.get_absolute_url(), HTTP_HX_REQUEST="true").get("X-Visitor-Cache") is None


def test_staff_edits_and_published_reviews_show_at_once(knit):
    listing = reverse("catalog:product_list")
    visit(listing), visit(knit.get_absolute_url())
    assert visit(listing)["X-Visitor-Cache"] == "hit"

    knit.name = "もこもこニット"
    knit.save()
    page = visit(listing)
    assert page.get("X-Visitor-Cache") is None and "もこもこニット" in page.content.decode()

    visit(knit.get_absolute_url())
    Review.objects.create(product=knit, user=UserFactory(), rating=5, title="最高", body="b", status="published")
    page = visit(knit.get_absolute_url())
    assert page.get("X-Visitor-Cache") is None and "最高" in page.content.decode()


def test_each_language_is_kept_apart(knit, settings):
    visit(knit.get_absolute_url())
    english = visit(knit.get_absolute_url(), HTTP_COOKIE=f"{settings.LANGUAGE_COOKIE_NAME}=en")
    assert english.get("X-Visitor-Cache") is None and "Add to cart" in english.content.decode()
    assert visit(knit.get_absolute_url(), HTTP_COOKIE=f"{settings.LANGUAGE_COOKIE_NAME}=en")["X-Visitor-Cache"] == "hit"
    japanese = visit(knit.get_absolute_url())
    assert japanese["X-Visitor-Cache"] == "hit" and "カートに入れる" in japanese.content.decode()


def test_missing_pages_and_a_zero_setting_keep_nothing(knit, settings):
    assert visit("/p/nothing-here/").status_code == 404
    assert visit("/p/nothing-here/").get("X-Visitor-Cache") is None
    settings.SHOP_VISITOR_PAGE_CACHE_SECONDS = 0
    visit(knit.get_absolute_url())
    assert visit(knit.get_absolute_url()).get("X-Visitor-Cache") is None
