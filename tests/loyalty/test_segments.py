"""Segments: each condition on its own, combined, who is never in a segment, and the query count."""

import datetime

import pytest
from django.utils import timezone

from loyalty.models import PointAccount, Segment
from loyalty.selectors.campaigns import segment_count, segment_reachable_count, segment_users
from shop.accounts.privacy_services import consent_record
from shop.notifications.services import line_link_set
from shop.orders.models import Cart, CartLine, Order, OrderLine
from tests.factories import CategoryFactory, ProductFactory, VariantFactory

from .conftest import make_member, make_order

pytestmark = pytest.mark.django_db


def ago(days: float = 0, hours: float = 0) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days, hours=hours)


def buy(user, variant, *, paid_at, status=None, total=None) -> Order:
    order = make_order(user, subtotal=total or variant.price, paid_at=paid_at, status=status)
    OrderLine.objects.create(
        order=order,
        variant=variant,
        sku=variant.sku,
        product_name=variant.product.name,
        unit_price=variant.price,
        quantity=1,
    )
    return order


def members(segment, **kwargs) -> set[str]:
    return {user.email for user in segment_users(segment=segment, **kwargs)}


def member(name: str, **fields):
    return make_member(email=f"{name}@example.jp", **fields)


@pytest.fixture
def variant(db):
    return VariantFactory(price=3000)


def test_bought_a_product_within_n_days(variant):
    other = VariantFactory()
    recent, old, elsewhere, cancelled = (member(name) for name in ("recent", "old", "elsewhere", "cancelled"))
    buy(recent, variant, paid_at=ago(10))
    buy(old, variant, paid_at=ago(40))
    buy(elsewhere, other, paid_at=ago(1))
    buy(cancelled, variant, paid_at=ago(2), status=Order.Status.CANCELLED)
    make_order(member("unpaid"), subtotal=3000, paid_at=None)

    segment = Segment.objects.create(name="x", bought_product=variant.product, bought_within_days=30)
    assert members(segment) == {"recent@example.jp"}
    segment.bought_within_days = None
    assert members(segment) == {"recent@example.jp", "old@example.jp"}


def test_bought_in_a_category_counts_its_subcategories():
    parent = CategoryFactory()
    child = CategoryFactory(parent=parent)
    grandchild = CategoryFactory(parent=child)
    in_child = VariantFactory(product=ProductFactory(category=child))
    in_grandchild = VariantFactory(product=ProductFactory(category=grandchild))
    unrelated = VariantFactory()
    buy(member("a"), in_child, paid_at=ago(5))
    buy(member("b"), in_grandchild, paid_at=ago(5))
    buy(member("c"), unrelated, paid_at=ago(5))

    segment = Segment.objects.create(name="x", bought_category=parent)
    assert members(segment) == {"a@example.jp", "b@example.jp"}
    assert members(Segment(name="y", bought_category=grandchild)) == {"b@example.jp"}


def test_bought_anything_within_n_days(variant):
    buy(member("recent"), variant, paid_at=ago(3))
    buy(member("old"), variant, paid_at=ago(20))
    member("never")
    assert members(Segment(name="x", bought_within_days=7)) == {"recent@example.jp"}


def test_spent_at_least_within_a_period_less_refunds():
    both_recent, one_old, refunded = member("both"), member("old"), member("refunded")
    make_order(both_recent, subtotal=2500, shipping_fee=0, paid_at=ago(5))
    make_order(both_recent, subtotal=2500, shipping_fee=0, paid_at=ago(20))
    make_order(one_old, subtotal=2500, shipping_fee=0, paid_at=ago(5))
    make_order(one_old, subtotal=2500, shipping_fee=0, paid_at=ago(60))
    make_order(
        refunded,
        subtotal=6000,
        shipping_fee=0,
        paid_at=ago(5),
        status=Order.Status.PARTIALLY_REFUNDED,
        refunded_amount=2000,
    )

    assert members(Segment(name="x", min_spend=5000, spend_within_days=30)) == {"both@example.jp"}
    assert members(Segment(name="x", min_spend=5000)) == {"both@example.jp", "old@example.jp"}


def test_lapsed_buyers_have_no_order_for_n_days(variant):
    lapsed, active = member("lapsed"), member("active")
    member("never")
    buy(lapsed, variant, paid_at=ago(100))
    buy(active, variant, paid_at=ago(100))
    buy(active, variant, paid_at=ago(10))
    assert members(Segment(name="x", no_order_days=60)) == {"lapsed@example.jp"}


def test_abandoned_cart_older_than_n_hours_and_no_order_since(variant):
    def cart_line(user, *, hours_ago):
        cart = Cart.objects.create(user=user)
        line = CartLine.objects.create(cart=cart, variant=variant, quantity=1)
        CartLine.objects.filter(pk=line.pk).update(updated_at=ago(hours=hours_ago))

    abandoned, ordered_since, fresh = member("abandoned"), member("ordered"), member("fresh")
    cart_line(abandoned, hours_ago=30)
    cart_line(ordered_since, hours_ago=30)
    Order.objects.filter(pk=make_order(ordered_since, subtotal=1000, paid_at=None).pk).update(created_at=ago(hours=2))
    cart_line(fresh, hours_ago=1)
    # An order before the cart was filled does not count as "ordered since".
    Order.objects.filter(pk=make_order(abandoned, subtotal=1000, paid_at=ago(5)).pk).update(created_at=ago(5))

    assert members(Segment(name="x", abandoned_cart_hours=24)) == {"abandoned@example.jp"}


def test_rank_is_one_of(ranks):
    gold, silver = member("gold"), member("silver")
    member("none")
    PointAccount.objects.create(user=gold, rank=ranks["gold"])
    PointAccount.objects.create(user=silver, rank=ranks["silver"])
    segment = Segment.objects.create(name="x")
    segment.ranks.set([ranks["gold"]])
    assert members(segment) == {"gold@example.jp"}
    assert members(segment, rank_ids=[ranks["gold"].pk, ranks["silver"].pk]) == {
        "gold@example.jp",
        "silver@example.jp",
    }


def test_line_linked_or_not():
    linked = member("linked")
    member("plain")
    line_link_set(user=linked, line_user_id="U" + "a" * 32, source="code")
    assert members(Segment(name="x", line_linked=True)) == {"linked@example.jp"}
    assert members(Segment(name="x", line_linked=False)) == {"plain@example.jp"}
    assert members(Segment(name="x", line_linked=None)) == {"linked@example.jp", "plain@example.jp"}


def test_age_band_and_gender_match_only_members_who_consented_to_personalisation():
    consenting = member("consenting", age_band="20s", gender="female")
    member("silent", age_band="20s", gender="female")
    withdrawn = member("withdrawn", age_band="20s", gender="female")
    older = member("older", age_band="30s", gender="female")
    man = member("man", age_band="20s", gender="male")
    for user in (consenting, withdrawn, older, man):
        consent_record(user=user, purpose="personalisation", granted=True, source="tests")
    consent_record(user=withdrawn, purpose="personalisation", granted=False, source="tests")

    assert members(Segment(name="x", age_bands=["20s"])) == {"consenting@example.jp", "man@example.jp"}
    assert members(Segment(name="x", genders=["female"])) == {"consenting@example.jp", "older@example.jp"}
    assert members(Segment(name="x", age_bands=["20s", "30s"], genders=["female"])) == {
        "consenting@example.jp",
        "older@example.jp",
    }


def test_conditions_combine_and_inactive_or_deleted_accounts_are_never_included(variant):
    both = member("both")
    only_bought = member("only_bought")
    inactive = member("inactive", is_active=False)
    deleted = member("deleted", anonymised_at=timezone.now())
    for user in (both, only_bought, inactive, deleted):
        buy(user, variant, paid_at=ago(3))
    for user in (both, inactive, deleted):
        line_link_set(user=user, line_user_id=f"U{user.pk:032d}", source="code")

    segment = Segment(name="x", bought_product=variant.product, line_linked=True)
    assert members(segment) == {"both@example.jp"}
    assert members(Segment(name="all")) == {"both@example.jp", "only_bought@example.jp"}


def test_the_members_come_in_one_query_and_the_counts(django_assert_num_queries, variant, ranks):
    for index in range(5):
        user = member(f"m{index}", age_band="20s")
        buy(user, variant, paid_at=ago(index))
        consent_record(user=user, purpose="personalisation", granted=True, source="tests")
        if index % 2 == 0:
            consent_record(user=user, purpose="marketing", granted=True, source="tests")
    segment = Segment.objects.create(
        name="x",
        bought_product=variant.product,
        bought_within_days=30,
        min_spend=1000,
        spend_within_days=30,
        line_linked=False,
        age_bands=["20s"],
    )
    users = segment_users(segment=segment)
    with django_assert_num_queries(1):
        assert len(list(users)) == 5
    assert segment_count(segment=segment) == 5
    assert segment_reachable_count(segment=segment) == 3
