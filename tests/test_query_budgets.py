"""SQL queries per page: within the budget and the same whatever the page or catalogue size (issue 9).

Budgets: product list and search at most 6, product page at most 8, cart at most 8, feed at most 10 (home: 8), for
an anonymous visitor and for a signed-in member, both with a session. Each page is requested once to warm the
session and the caches, as on a server that has been up a while, then counted with a small and with a large
catalogue (or cart, or feed); the two counts must be equal, so nothing runs a query per item.

A member's product page fits the same 8 as a visitor's: the product's images and variants are JSON columns of the
product query, and so is everything the page shows for the member (want/own marks, what people they follow said,
share codes, own review: social.selectors.product_page_viewer_columns).
"""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from shop.accounts.privacy_services import legal_accept_current
from shop.catalog.models import ProductImage
from shop.orders.models import Cart
from shop.orders.services.cart import cart_add
from shop.reviews.models import Review
from social import services as social_services
from social.models import Post
from tests.factories import CategoryFactory, ProductFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db

LIST = 6
PRODUCT = 8
CART = 8
FEED = 10
HOME = 8


def make_member(email: str):
    user = UserFactory(email=email, display_name=email.split("@")[0])
    legal_accept_current(user=user)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def shop(db):
    knit = CategoryFactory(name="ニット", slug="knit", parent=CategoryFactory(name="トップス", slug="tops"))
    product = ProductFactory(category=knit, name="ふんわりニット 商品", slug="fuwari-knit")
    VariantFactory(product=product, size="M", stock=50)
    member, friend = make_member("member@example.jp"), make_member("friend@example.jp")
    social_services.follow_set(follower=member, followee_id=friend.pk, on=True)
    return {"category": knit, "product": product, "member": member, "friend": friend}


def grow(shop, n: int) -> None:
    """n more of everything a page lists: products with variants and images, reviews, posts, cart lines."""
    for i in range(n):
        product = ProductFactory(category=shop["category"], name=f"商品 {i}")
        variant = VariantFactory(product=product, size="S", stock=50)
        VariantFactory(product=product, size="M", stock=50)
        ProductImage.objects.create(product=product, image=f"products/p{i}.jpg", width=800, height=800)
        reviewer = make_member(f"reviewer{product.pk}@example.jp")
        Review.objects.create(
            product=shop["product"], user=reviewer, rating=1 + i % 5, title="t", body="b", status="published"
        )
        Post.objects.create(author=shop["friend"], body=f"post {i}", product=shop["product"])
        cart_add(cart=Cart.objects.get_or_create(user=shop["member"])[0], variant_id=variant.pk, quantity=1)


def pages(shop) -> dict[str, tuple[str, int, int]]:
    """name: (path, budget for a visitor, budget for a member)."""
    return {
        "home": ("/", HOME, HOME),
        "list": (reverse("catalog:product_list"), LIST, LIST),
        "search": (reverse("catalog:search") + "?q=商品", LIST, LIST),
        "category": (reverse("catalog:category", kwargs={"slug": "tops"}), LIST, LIST),
        "product": (shop["product"].get_absolute_url(), PRODUCT, PRODUCT),
        "cart": (reverse("orders:cart"), CART, CART),
        "feed": (reverse("social:feed"), FEED, FEED),
    }


@pytest.mark.parametrize("page", ["home", "list", "search", "category", "product", "cart", "feed"])
@pytest.mark.parametrize("who", ["visitor", "member"])
def test_queries_per_page_are_few_and_do_not_grow(client, shop, page, who, django_assert_max_num_queries):
    path, visitor_budget, member_budget = pages(shop)[page]
    budget = member_budget if who == "member" else visitor_budget
    if who == "member":
        client.force_login(shop["member"])
    else:  # a visitor with a cart has a session too
        client.post(reverse("orders:cart_add"), {"variant": shop["product"].variants.get().pk, "quantity": 1})
    grow(shop, 2)
    assert client.get(path).status_code == 200  # warm the session and caches
    with django_assert_max_num_queries(budget) as small:
        assert client.get(path).status_code == 200
    grow(shop, 20)
    assert client.get(path).status_code == 200  # once after a change: products on sale per category counted again
    with django_assert_max_num_queries(budget) as large:
        assert client.get(path).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries), [q["sql"] for q in large.captured_queries]
