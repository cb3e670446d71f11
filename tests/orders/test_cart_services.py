import threading

import pytest
from django.db import connection
from django.utils import translation

from shop.orders import services
from shop.orders.exceptions import CartError
from shop.orders.models import Cart, CartLine
from tests.factories import UserFactory, VariantFactory

pytestmark = pytest.mark.django_db


def test_guest_cart_is_created_once_per_session(session):
    first = services.cart_get_or_create(user=None, session=session)
    second = services.cart_get_or_create(user=None, session=session)
    assert first.pk == second.pk
    assert first.user_id is None


def test_add_accumulates_and_never_exceeds_stock(session):
    variant = VariantFactory(stock=5)
    cart = services.cart_get_or_create(user=None, session=session)
    services.cart_add(cart=cart, variant_id=variant.pk, quantity=3)
    services.cart_add(cart=cart, variant_id=variant.pk, quantity=2)
    assert CartLine.objects.get(cart=cart).quantity == 5
    with pytest.raises(CartError, match="5"):
        services.cart_add(cart=cart, variant_id=variant.pk, quantity=1)
    assert CartLine.objects.get(cart=cart).quantity == 5


def test_a_line_holds_at_most_the_per_line_maximum_and_the_add_returns_the_line(
    session, settings, django_assert_num_queries
):
    settings.SHOP_MAX_LINE_QUANTITY = 4
    variant = VariantFactory(stock=50)
    cart = services.cart_get_or_create(user=None, session=session)
    line = services.cart_add(cart=cart, variant_id=variant.pk, quantity=3)
    with django_assert_num_queries(0):  # the view's message reads the variant and product: already loaded
        assert (line.quantity, str(line.variant)) == (3, str(variant))
    assert line.pk == CartLine.objects.get(cart=cart).pk
    with translation.override("ja"), pytest.raises(CartError, match="4点まで"):
        services.cart_add(cart=cart, variant_id=variant.pk, quantity=2)
    assert CartLine.objects.get(cart=cart).quantity == 3
    assert services.cart_add(cart=cart, variant_id=variant.pk, quantity=1).quantity == 4


@pytest.mark.parametrize("quantity", [0, -1, -1000, 100, 10**30])
def test_bad_quantities_change_nothing(session, quantity):
    variant = VariantFactory(stock=500)
    cart = services.cart_get_or_create(user=None, session=session)
    services.cart_add(cart=cart, variant_id=variant.pk, quantity=2)
    with pytest.raises(CartError):
        services.cart_add(cart=cart, variant_id=variant.pk, quantity=quantity)
    line = CartLine.objects.get(cart=cart)
    with pytest.raises(CartError):
        services.cart_line_set_quantity(cart=cart, line_id=line.pk, quantity=quantity)
    assert CartLine.objects.get(cart=cart).quantity == 2


def test_sold_out_and_unknown_variants_are_refused(session):
    sold_out = VariantFactory(stock=0)
    inactive = VariantFactory(stock=5, is_active=False)
    cart = services.cart_get_or_create(user=None, session=session)
    for variant_id in (sold_out.pk, inactive.pk, 999_999):
        with pytest.raises(CartError):
            services.cart_add(cart=cart, variant_id=variant_id, quantity=1)
    assert not CartLine.objects.exists()


def test_lines_of_another_cart_cannot_be_touched(session):
    variant = VariantFactory(stock=5)
    mine = services.cart_get_or_create(user=None, session=session)
    theirs = Cart.objects.create()
    their_line = services.cart_add(cart=theirs, variant_id=variant.pk, quantity=1)
    with pytest.raises(CartError):
        services.cart_line_set_quantity(cart=mine, line_id=their_line.pk, quantity=3)
    with pytest.raises(CartError):
        services.cart_line_remove(cart=mine, line_id=their_line.pk)
    assert CartLine.objects.get(pk=their_line.pk).quantity == 1


def test_merge_at_sign_in_adds_quantities_capped_at_stock(session):
    user = UserFactory()
    shared = VariantFactory(stock=4)
    guest_only = VariantFactory(stock=3)
    user_cart = Cart.objects.create(user=user)
    services.cart_add(cart=user_cart, variant_id=shared.pk, quantity=3)
    guest = services.cart_get_or_create(user=None, session=session)
    services.cart_add(cart=guest, variant_id=shared.pk, quantity=2)
    services.cart_add(cart=guest, variant_id=guest_only.pk, quantity=3)

    merged = services.cart_merge_guest_into_user(user=user, session=session)

    assert merged.pk == user_cart.pk
    assert {line.variant_id: line.quantity for line in merged.lines.all()} == {shared.pk: 4, guest_only.pk: 3}
    assert not Cart.objects.filter(pk=guest.pk).exists()
    assert services.SESSION_CART_KEY not in session


def test_signing_in_through_the_site_merges_the_guest_cart(client):
    user = UserFactory(email="merge@example.jp")
    variant = VariantFactory(stock=5)
    client.post("/cart/add/", {"variant": variant.pk, "quantity": 2})
    response = client.post("/accounts/login/", {"login": "merge@example.jp", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert CartLine.objects.get(cart__user=user).quantity == 2
    assert not Cart.objects.filter(user__isnull=True, lines__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_of_the_same_item_never_exceed_stock():
    variant = VariantFactory(stock=5)
    cart = Cart.objects.create()
    errors = []

    def add():
        try:
            services.cart_add(cart=cart, variant_id=variant.pk, quantity=1)
        except CartError as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=add) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert CartLine.objects.get(cart=cart).quantity == 5
    assert len(errors) == 7
