"""A member's cart badge: the units come with the user's own statement (shop.accounts.backends.user_extra_register),
used on GET requests, which change no cart."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shop.accounts.backends import ModelBackend
from shop.accounts.privacy_services import legal_accept_current
from shop.orders.models import Cart, CartLine
from shop.orders.selectors import cart_item_count
from tests.factories import UserFactory, VariantFactory

pytestmark = pytest.mark.django_db


def member():
    user = UserFactory()
    legal_accept_current(user=user)  # else every page asks them to accept the terms first
    return user


def badge(html: str) -> int:
    return int(re.search(r'<span id="cart-badge" class="badge"[^>]*>(\d+)</span>', html).group(1))


def test_a_members_pages_show_the_units_without_a_statement_of_their_own(client):
    user = member()
    cart = Cart.objects.create(user=user)
    for quantity in (2, 3):
        CartLine.objects.create(cart=cart, variant=VariantFactory(stock=10), quantity=quantity)
    client.force_login(user)
    client.get("/products/")
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/products/").content.decode()
    assert badge(html) == 5
    assert not [
        q for q in queries.captured_queries if "orders_cartline" in q["sql"] and "accounts_user" not in q["sql"]
    ]

    variant = VariantFactory(stock=10)
    client.post(reverse("orders:cart_add"), {"variant": variant.pk, "quantity": 4})
    assert badge(client.get("/products/").content.decode()) == 9  # the next page reads the user again


def test_an_empty_cart_or_none_is_zero(client):
    user = member()
    client.force_login(user)
    assert badge(client.get("/products/").content.decode()) == 0
    Cart.objects.create(user=user)
    assert badge(client.get("/products/").content.decode()) == 0


def test_after_a_change_in_the_same_request_the_units_are_read_again(session):
    user = UserFactory()
    cart = Cart.objects.create(user=user)
    CartLine.objects.create(cart=cart, variant=VariantFactory(stock=10), quantity=1)
    read = ModelBackend().get_user(user.pk)
    assert read.cart_units == 1
    CartLine.objects.create(cart=cart, variant=VariantFactory(stock=10), quantity=2)
    assert cart_item_count(user=read, session=session, user_read_now=True) == 1  # a GET: nothing changed it
    assert cart_item_count(user=read, session=session, user_read_now=False) == 3  # a POST may have
