"""Members-only sales and early access: the page explains, the cart and the checkout refuse (crafted requests too)."""

import datetime
import uuid

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from loyalty.models import PointAccount, Rank
from shop.notifications.models import LineLink
from shop.orders import services as order_services
from shop.orders.exceptions import CartError, CheckoutError
from shop.orders.models import Cart, CartLine, Order, ShippingMethod
from shop.orders.services import CheckoutDetails, order_place_from_cart
from social.models import Follow
from social.perks import selectors
from social.perks.models import AccessRule
from tests.factories import CategoryFactory, ProductFactory, VariantFactory
from tests.social.conftest import make_member

pytestmark = pytest.mark.django_db
Audience = AccessRule.Audience


@pytest.fixture
def item(db):
    product = ProductFactory(category=CategoryFactory(parent=CategoryFactory()), name="限定ニット")
    VariantFactory(product=product, price=5000, stock=10)
    product.refresh_from_db()
    return product


def rule_for(product, *, audience=Audience.MEMBERS, opens_in=-1, public_in=None, category=False, ranks=()):
    now = timezone.now()
    rule = AccessRule.objects.create(
        name="会員限定セール",
        audience=audience,
        opens_at=now + datetime.timedelta(hours=opens_in),
        public_at=now + datetime.timedelta(hours=public_in) if public_in is not None else None,
    )
    if category:
        rule.categories.add(product.category.parent)
    else:
        rule.products.add(product)
    rule.ranks.set(ranks)
    return rule


def details(method) -> CheckoutDetails:
    return CheckoutDetails(
        email="guest@example.jp",
        name="山田 花子",
        postal_code="1500001",
        prefecture="東京都",
        city="渋谷区",
        street="神宮前1-2-3",
        building="",
        phone="09012345678",
        shipping_method_id=method.pk,
        payment_method="bank_transfer",
    )


def add(client, product):
    return client.post(
        reverse("orders:cart_add"),
        {"variant": product.variants.first().pk, "quantity": 1, "next": product.get_absolute_url()},
        follow=True,
    )


def test_guest_sees_the_badge_when_it_opens_and_how_to_qualify_instead_of_the_button(client, item):
    rule_for(item, public_in=48)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(item.get_absolute_url()).content.decode()
    assert "会員限定セール" in html
    assert "On sale now to members only." in html and "Open to everyone from" in html
    assert f'href="{reverse("account_login")}?next=' in html
    assert 'name="quantity"' not in html and "Add to cart" not in html


def test_a_crafted_guest_cart_post_is_refused_and_nothing_is_written(client, item):
    rule_for(item)
    response = add(client, item)
    assert "限定ニット" in response.content.decode()
    assert not CartLine.objects.exists()


def test_a_guest_checkout_with_the_item_already_in_the_cart_is_refused(item):
    rule_for(item)
    cart = Cart.objects.create()
    CartLine.objects.create(cart=cart, variant=item.variants.first(), quantity=1)
    method = ShippingMethod.objects.create(name="通常配送", fee=600, days_min=2, days_max=4)
    with translation.override("en"), pytest.raises(CheckoutError) as error:
        order_place_from_cart(cart=cart, checkout_token=uuid.uuid4(), details=details(method), user=None)
    assert "is not on sale to you yet" in str(error.value)
    assert not Order.objects.exists()
    assert item.variants.first().stock == 10


def test_a_member_can_buy_a_members_only_item(client, item):
    rule_for(item)
    member = make_member()
    client.force_login(member)
    add(client, item)
    assert CartLine.objects.filter(cart__user=member).count() == 1
    html = client.get(item.get_absolute_url()).content.decode()
    assert "会員限定セール" in html and 'name="quantity"' in html


def test_early_access_for_followers_opens_at_its_time_and_for_everyone_later(item):
    rule = rule_for(item, audience=Audience.FOLLOWERS, opens_in=2, public_in=24, category=True)
    rules = selectors.rules_load()
    follower, other = make_member(), make_member()
    Follow.objects.create(follower=follower, followee=None)
    now = timezone.now()

    def locked(user, at):
        return selectors.product_access(product=item, user=user, rules=rules, now=at).locked

    before, opening, public = now + datetime.timedelta(hours=1), rule.opens_at, rule.public_at
    assert locked(follower, before) and locked(other, before)
    assert not locked(follower, opening) and locked(other, opening)
    assert not locked(other, public) and not locked(None, public)
    with translation.override("en"):
        access = selectors.product_access(product=item, user=other, rules=rules, now=opening)
    assert any("followers of the shop" in reason for reason in access.reasons)
    assert [step.action for step in access.how_to] == ["follow_shop"]


def test_early_access_is_enforced_by_the_cart_at_its_time(client, item):
    rule_for(item, audience=Audience.FOLLOWERS, opens_in=1, public_in=24)
    follower = make_member()
    Follow.objects.create(follower=follower, followee=None)
    client.force_login(follower)
    add(client, item)
    assert not CartLine.objects.exists()  # not open yet, even for followers
    AccessRule.objects.update(opens_at=timezone.now() - datetime.timedelta(minutes=1))
    add(client, item)
    assert CartLine.objects.filter(cart__user=follower).count() == 1


def test_rank_and_line_audiences(item):
    gold = Rank.objects.create(code="gold-test", name="ゴールド(テスト)", min_spend=80000)
    rule_for(item, audience=Audience.RANKS, ranks=[gold])
    member = make_member()
    with translation.override("en"):
        problems = selectors.purchase_check(member, list(item.variants.select_related("product")))
    assert problems and "ゴールド(テスト)" in problems[0]
    PointAccount.objects.update_or_create(user=member, defaults={"rank": gold, "rank_updated_at": timezone.now()})
    assert selectors.purchase_check(member, list(item.variants.select_related("product"))) == []

    AccessRule.objects.all().delete()
    rule_for(item, audience=Audience.LINE_LINKED)
    assert selectors.purchase_check(member, list(item.variants.select_related("product")))
    LineLink.objects.create(user=member, line_user_id="U" + "1" * 32)
    assert selectors.purchase_check(member, list(item.variants.select_related("product"))) == []


def test_rules_in_the_cache_follow_edits(item):
    rule = rule_for(item)
    assert [r.pk for r in selectors.rules_for_pages()] == [rule.pk]
    rule.is_active = False
    rule.save()
    assert selectors.rules_for_pages() == []


def test_a_rule_made_active_between_two_adds_holds_for_the_second(client, item):
    rule = rule_for(item)
    AccessRule.objects.filter(pk=rule.pk).update(is_active=False)  # no signal: as another process would
    add(client, item)
    assert CartLine.objects.get().quantity == 1
    AccessRule.objects.filter(pk=rule.pk).update(is_active=True)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = add(client, item)
    assert "is not on sale to you yet" in response.content.decode()
    assert CartLine.objects.get().quantity == 1


def test_the_cart_reads_whether_a_rule_is_active_in_the_statement_that_reads_the_item(item, django_assert_num_queries):
    rule = rule_for(item)
    cart = Cart.objects.create()
    variant = item.variants.first()
    with translation.override("en"), pytest.raises(CartError, match="is not on sale to you yet"):
        order_services.cart_add(cart=cart, variant_id=variant.pk, quantity=1)
    rule.is_active = False
    rule.save()
    with django_assert_num_queries(2):  # the item (with the rules' answer), then the upsert
        order_services.cart_add(cart=cart, variant_id=variant.pk, quantity=1)
    assert CartLine.objects.get(cart=cart).quantity == 1
