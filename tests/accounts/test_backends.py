"""shop.accounts.backends: the signed-in user read by one compiled statement, with whether two-factor is on."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from shop.accounts.backends import ModelBackend
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_user_comes_with_whether_two_factor_is_on_in_one_query(django_assert_num_queries):
    plain, app, backup_only, unconfirmed = (UserFactory(email=f"u{n}@example.jp") for n in range(4))
    TOTPDevice.objects.create(user=app, name="authenticator", confirmed=True)
    StaticDevice.objects.create(user=backup_only, name="backup", confirmed=True)
    TOTPDevice.objects.create(user=unconfirmed, name="authenticator", confirmed=False)
    backend = ModelBackend()
    for user, expected in ((plain, False), (app, True), (backup_only, True), (unconfirmed, False)):
        with django_assert_num_queries(1):
            found = backend.get_user(str(user.pk))
        assert (found.pk, found.email, found.has_two_factor) == (user.pk, user.email, expected)


def test_an_inactive_unknown_or_malformed_id_is_nobody():
    inactive = UserFactory(email="gone@example.jp", is_active=False)
    backend = ModelBackend()
    assert backend.get_user(str(inactive.pk)) is None
    assert backend.get_user(str(inactive.pk + 1000)) is None
    assert backend.get_user("not-a-number") is None


def test_a_signed_in_request_reads_the_user_through_it(client, django_assert_num_queries):
    user = UserFactory(email="member@example.jp")
    client.force_login(user)
    assert settings.AUTHENTICATION_BACKENDS[0] == "shop.accounts.backends.ModelBackend"
    request = type("Request", (), {"session": client.session})()
    with django_assert_num_queries(1):  # the session with its member (shop.accounts.sessions)
        signed_in = get_user(request)
    assert (signed_in.pk, signed_in.has_two_factor) == (user.pk, False)


def test_the_user_comes_with_their_latest_analytics_choice(django_assert_num_queries):
    from shop.accounts import privacy_selectors
    from shop.accounts.models import Consent

    never, granted, changed_mind = (UserFactory(email=f"c{n}@example.jp") for n in range(3))
    Consent.objects.create(user=granted, purpose="analytics", granted=True)
    Consent.objects.create(user=granted, purpose="marketing", granted=False)
    Consent.objects.create(user=changed_mind, purpose="analytics", granted=True)
    Consent.objects.create(user=changed_mind, purpose="analytics", granted=False)
    backend = ModelBackend()
    for user, expected in ((never, None), (granted, True), (changed_mind, False)):
        with django_assert_num_queries(1):
            found = backend.get_user(str(user.pk))
        assert found.analytics_consent is expected
        with django_assert_num_queries(0):
            assert privacy_selectors.analytics_choice(user=found) is expected
