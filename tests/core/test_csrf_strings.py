"""shop.core.csrf_strings: Django's CSRF secrets and masks drawn in one os.urandom call, and still accepted."""

import collections
import re

import pytest
from django.middleware import csrf
from django.test import Client
from django.urls import reverse

from shop.core.csrf_strings import random_csrf_string
from shop.orders.models import CartLine
from tests.factories import ProductFactory, VariantFactory

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_django_makes_its_secrets_and_masks_with_it():
    assert csrf._get_new_csrf_string is random_csrf_string
    # Both callers look the function up by this name when they run (an upgrade renaming it fails here).
    assert "_get_new_csrf_string" in csrf._mask_cipher_secret.__code__.co_names
    assert "_get_new_csrf_string" in csrf._add_new_csrf_cookie.__code__.co_names


def test_strings_have_djangos_length_and_alphabet_each_character_equally_likely():
    strings = [random_csrf_string() for _ in range(10_000)]
    assert {len(s) for s in strings} == {csrf.CSRF_SECRET_LENGTH}
    counts = collections.Counter("".join(strings))
    assert set(counts) == set(csrf.CSRF_ALLOWED_CHARS)
    expected = 10_000 * csrf.CSRF_SECRET_LENGTH / len(csrf.CSRF_ALLOWED_CHARS)  # 5,161
    # Taking every byte modulo 62 would give the first eight characters 25% more often than the others.
    assert all(abs(count - expected) < expected * 0.08 for count in counts.values())
    assert len(set(strings)) == len(strings)


@pytest.mark.django_db
def test_a_first_visits_token_is_accepted_and_differs_on_each_page():
    product = ProductFactory()
    variant = VariantFactory(product=product, stock=3)
    browser = Client(enforce_csrf_checks=True)
    first = TOKEN.search(browser.get(product.get_absolute_url()).content.decode()).group(1)
    second = TOKEN.search(browser.get(product.get_absolute_url()).content.decode()).group(1)
    assert first != second and len(first) == 2 * csrf.CSRF_SECRET_LENGTH
    secret = browser.cookies[csrf.settings.CSRF_COOKIE_NAME].value
    assert csrf._unmask_cipher_token(first) == csrf._unmask_cipher_token(second) == secret

    added = browser.post(
        reverse("orders:cart_add"), {"variant": variant.pk, "quantity": 1, "csrfmiddlewaretoken": first}
    )
    assert added.status_code == 302 and CartLine.objects.get().quantity == 1
    refused = Client(enforce_csrf_checks=True).post(
        reverse("orders:cart_add"), {"variant": variant.pk, "quantity": 1, "csrfmiddlewaretoken": first}
    )
    assert refused.status_code == 403 and CartLine.objects.count() == 1
