"""The scheduled reward tally reads each campaign's scope once per run and each order's fraud checks once: twenty
lost orders cost the fraud checks' reads per order more than two, not a round of queries per order and campaign."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from payments import services as payments
from social.rewards import services
from social.rewards.models import ShareCampaign, SharePurchase, ShareTier
from social.shares import services as share_services
from social.shares.models import Attribution, ShareLink

from .conftest import make_member, place

pytestmark = pytest.mark.django_db

# The fraud checks that read per order: the order's card payments, the sharer's saved addresses, the sharer's
# orders, the sharer's browsers (the buyer came with a visitor id) and the sharer's networks (a guest with an IP).
FRAUD_READS_PER_ORDER = 5


def _lost_orders(count: int, *, tag: str, variant, link, staff) -> None:
    """Orders through the sharer's link, paid without their on-commit tasks: the tally has every one to do."""
    for n in range(count):
        order = place(variant, email=f"{tag}-{n}@example.jp")
        share_services.attribution_record_pending(
            order_numbers=[order.number],
            link_id=link.pk,
            clicked_at=timezone.now() - datetime.timedelta(hours=1),
            visitor_key=f"{tag}{n}".ljust(32, "0"),
            buyer_ip=f"192.0.2.{n + 1}",
        )
        payments.manual_payment_mark_paid(order_id=order.pk, actor=staff)


def _tally_queries() -> int:
    with CaptureQueriesContext(connection) as queries:
        services.share_rewards_tally()
    return len(queries)


def test_the_tallys_queries_grow_by_the_fraud_checks_per_order_only(campaign, variant, staff):
    by_category = ShareCampaign.objects.create(
        name="ウェアのシェアキャンペーン",
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
    )
    by_category.categories.set([variant.product.category])
    ShareTier.objects.create(campaign=by_category, buyers=2, points=200)

    sharer = make_member("sharer-many@example.jp")
    link = share_services.share_links_ensure(sharer=sharer, product_id=variant.product_id)[ShareLink.Channel.LINE]

    _lost_orders(2, tag="few", variant=variant, link=link, staff=staff)
    few = _tally_queries()
    _lost_orders(20, tag="many", variant=variant, link=link, staff=staff)
    many = _tally_queries()

    assert SharePurchase.objects.count() == 2 * 22
    assert not Attribution.objects.filter(status=Attribution.Status.PENDING).exists()
    assert many - few <= FRAUD_READS_PER_ORDER * (20 - 2), (few, many)
