"""A small known data set: seven products in two sub-categories of "tops", five paid orders, follows, marks, views."""

import datetime

import pytest
from django.utils import timezone

from shop.accounts.models import Consent
from shop.orders.models import Order, OrderLine
from social.models import Follow, Post
from social.recommend.models import ProductView
from tests.factories import CategoryFactory, OrderFactory, ProductFactory, VariantFactory
from tests.social.conftest import make_member


def paid_order(user, products, *, hours_ago: float, quantity: int = 1, status=Order.Status.PAID) -> Order:
    paid_at = timezone.now() - datetime.timedelta(hours=hours_ago)
    subtotal = sum(product.price * quantity for product in products)
    order = OrderFactory(
        user=user,
        email=user.email if user else "guest@example.jp",
        status=status,
        delivery_date_min=paid_at.date(),
        subtotal=subtotal,
        shipping_fee=0,
        paid_at=paid_at if status != Order.Status.PENDING_PAYMENT else None,
    )
    Order.objects.filter(pk=order.pk).update(created_at=paid_at)
    for product in products:
        variant = product.variants.first()
        OrderLine.objects.create(
            order=order,
            variant=variant,
            sku=variant.sku,
            product_name=product.name,
            unit_price=variant.price,
            quantity=quantity,
        )
    return order


def grant(user, granted=True):
    Consent.objects.create(user=user, purpose=Consent.Purpose.PERSONALISATION, granted=granted)


class Shop:
    pass


@pytest.fixture
def shop(db):
    s = Shop()
    s.tops = CategoryFactory(name="トップス", slug="tops")
    s.knit = CategoryFactory(name="ニット", slug="knit", parent=s.tops)
    s.shirt = CategoryFactory(name="シャツ", slug="shirt", parent=s.tops)
    for name, category, stock in [
        ("A", s.knit, 10),
        ("B", s.knit, 10),
        ("C", s.shirt, 10),
        ("D", s.knit, 10),
        ("E", s.shirt, 10),
        ("F", s.knit, 0),  # sold out: never recommended
        ("G", s.knit, 10),
    ]:
        product = ProductFactory(category=category, name=f"商品{name}", slug=f"item-{name.lower()}")
        VariantFactory(product=product, price=2000, stock=stock)
        product.refresh_from_db()
        setattr(s, name, product)
    s.buyers = [make_member() for _i in range(4)]
    # A's co-purchases: B twice, C twice (C's latest order is newer), D once, F once (sold out).
    paid_order(s.buyers[0], [s.A, s.B, s.C], hours_ago=50)
    paid_order(s.buyers[1], [s.A, s.B], hours_ago=40)
    paid_order(s.buyers[2], [s.A, s.C, s.F], hours_ago=30)
    paid_order(s.buyers[3], [s.A, s.D], hours_ago=60)
    # Neither an unpaid nor a cancelled order counts.
    paid_order(s.buyers[3], [s.E, s.G], hours_ago=5, status=Order.Status.PENDING_PAYMENT)
    paid_order(s.buyers[3], [s.E, s.G], hours_ago=5, status=Order.Status.CANCELLED)
    # The member: bought B; follows two people who want/own E and want G; viewed D twice and G once.
    s.member = make_member(display_name="はなこ")
    paid_order(s.member, [s.B], hours_ago=20)
    s.friends = [make_member(), make_member()]
    for friend in s.friends:
        Follow.objects.create(follower=s.member, followee=friend)
    Post.objects.create(author=s.friends[0], kind=Post.Kind.WANT, product=s.E)
    Post.objects.create(author=s.friends[1], kind=Post.Kind.OWN, product=s.E)
    Post.objects.create(author=s.friends[0], kind=Post.Kind.WANT, product=s.G)
    today = timezone.localdate()
    for product, days_ago in [(s.D, 1), (s.D, 2), (s.G, 1)]:
        ProductView.objects.create(user=s.member, product=product, day=today - datetime.timedelta(days=days_ago))
    return s
