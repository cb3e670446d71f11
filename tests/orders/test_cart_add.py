"""Adding to the cart from a request: the shopper's cart is found in the statement that reads the item."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from shop.orders import hooks, services
from shop.orders.exceptions import CartError
from shop.orders.models import Cart, CartLine
from tests.factories import UserFactory, VariantFactory

pytestmark = pytest.mark.django_db


def add(*, session, variant, quantity=1, user=None):
    return services.cart_add_for_shopper(user=user, session=session, variant_id=variant.pk, quantity=quantity)


def test_a_guest_cart_is_made_on_the_first_add_and_found_by_the_next(session, django_assert_num_queries):
    variant, other = VariantFactory(stock=10, colour="ネイビー", size="M"), VariantFactory(stock=10)
    first = add(session=session, variant=variant, quantity=2)
    cart = Cart.objects.get()
    assert session[services.SESSION_CART_KEY] == str(cart.token) and cart.user_id is None
    with django_assert_num_queries(2):  # the item with the cart, then the upsert
        second = add(session=session, variant=other, quantity=3)
    with django_assert_num_queries(0):  # the view's message reads the variant and product: already loaded
        assert str(first.variant) == f"{variant.product.name} (ネイビー / M)"
    assert (first.quantity, first.cart_units) == (2, 2)
    assert (second.quantity, second.cart_units) == (3, 5)
    assert {line.variant_id: line.quantity for line in CartLine.objects.filter(cart=cart)} == {
        variant.pk: 2,
        other.pk: 3,
    }


def test_a_member_cart_is_made_once_and_a_guest_token_is_not_used_for_it(session):
    user = UserFactory()
    guest_cart = Cart.objects.create()
    session[services.SESSION_CART_KEY] = str(guest_cart.token)
    variant = VariantFactory(stock=10)
    add(session=session, variant=variant, user=user)
    line = add(session=session, variant=variant, user=user)
    assert (line.quantity, line.cart_units) == (2, 2)
    assert CartLine.objects.get(cart__user=user).quantity == 2
    assert not guest_cart.lines.exists()


def test_a_session_whose_cart_is_gone_gets_a_new_one(session):
    variant = VariantFactory(stock=10)
    gone = "6f0b9036-8998-455a-bb71-f255cc9177c6"
    session[services.SESSION_CART_KEY] = gone
    line = add(session=session, variant=variant)
    cart = Cart.objects.get()
    assert session[services.SESSION_CART_KEY] == str(cart.token) != gone
    assert line.cart_id == cart.pk


def test_refused_adds_change_nothing_and_make_no_cart(session, settings):
    settings.SHOP_MAX_LINE_QUANTITY = 5
    ended = VariantFactory(stock=10)
    ended.product.available_until = timezone.now() - datetime.timedelta(minutes=1)
    ended.product.save()
    cases = [
        (VariantFactory(stock=0).pk, 1, "在庫切れ"),
        (VariantFactory(stock=5, is_active=False).pk, 1, "在庫切れ"),
        (ended.pk, 1, "在庫切れ"),
        (VariantFactory(stock=3).pk, 4, "残り3点"),
        (VariantFactory(stock=50).pk, 6, "5点まで"),
        (VariantFactory(stock=50).pk, 0, "1以上"),
        (999_999, 1, "取り扱い"),
        (10**30, 1, "取り扱い"),  # past the database's integers: refused, not an error
    ]
    for variant_id, quantity, message in cases:
        with translation.override("ja"), pytest.raises(CartError, match=message):
            services.cart_add_for_shopper(user=None, session=session, variant_id=variant_id, quantity=quantity)
    assert not Cart.objects.exists() and services.SESSION_CART_KEY not in session


def test_at_the_limit_the_message_says_how_many_are_left_in_the_users_language(session):
    variant = VariantFactory(stock=3)
    add(session=session, variant=variant, quantity=2)
    with translation.override("en"), pytest.raises(CartError, match="Only 3 of"):
        add(session=session, variant=variant, quantity=2)
    assert CartLine.objects.get().quantity == 2


def test_a_check_registered_without_needed_sql_always_runs(session, monkeypatch):
    refused = []

    def check(user, variants):
        refused.extend(variants)
        return ["no"]

    monkeypatch.setattr(hooks, "purchase_checks", [*hooks.purchase_checks, check])
    with pytest.raises(CartError, match="no"):
        add(session=session, variant=VariantFactory(stock=5))
    assert len(refused) == 1 and not CartLine.objects.exists()


def test_the_htmx_add_answers_with_the_units_in_the_cart_in_the_badge(client, django_assert_max_num_queries):
    variant, other = VariantFactory(stock=10), VariantFactory(stock=10)
    client.post(reverse("orders:cart_add"), {"variant": other.pk, "quantity": 2})
    with django_assert_max_num_queries(3):  # the session, the item with the cart, the upsert
        response = client.post(
            reverse("orders:cart_add"), {"variant": variant.pk, "quantity": 3}, HTTP_HX_REQUEST="true"
        )
    html = response.content.decode()
    assert response.status_code == 200 and ">5</span>" in html and 'hx-swap-oob="true"' in html
    refused = client.post(reverse("orders:cart_add"), {"variant": variant.pk, "quantity": 99}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200 and ">5</span>" in refused.content.decode()


def test_a_plain_add_redirects_after_three_queries(client, django_assert_num_queries):
    variant = VariantFactory(stock=10)
    client.post(reverse("orders:cart_add"), {"variant": variant.pk, "quantity": 1})  # makes the cart
    with django_assert_num_queries(3):  # the session, the item with the cart, the upsert
        response = client.post(reverse("orders:cart_add"), {"variant": variant.pk, "quantity": 1})
    assert response.status_code == 302 and response["Location"] == reverse("orders:cart")
    assert CartLine.objects.get().quantity == 2
