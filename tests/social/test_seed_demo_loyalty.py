"""`manage.py seed_demo_loyalty`: what `make demo` adds for loyalty, and running it twice adds nothing."""

import pytest
from django.core.management import call_command

from loyalty.models import Coupon, LoyaltySettings
from loyalty.selectors.points import points_balance
from social.rewards.models import ShareCampaign, ShareTier
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_seed_demo_loyalty_is_idempotent():
    shopper = UserFactory(email="shopper@example.jp")
    for _ in range(2):
        call_command("seed_demo_loyalty", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert set(Coupon.objects.filter(is_listed=True).values_list("code", flat=True)) == {"WELCOME500", "SHIPFREE"}
    settings = LoyaltySettings.load()
    assert (settings.welcome_coupon.code, settings.birthday_coupon.code) == ("FOLLOW", "BIRTHDAY")
    assert ShareCampaign.objects.count() == 1
    assert list(ShareTier.objects.values_list("buyers", "points")) == [(1, 100), (3, 500), (10, 2000)]
    assert points_balance(user=shopper).available == 1500
