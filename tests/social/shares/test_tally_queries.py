"""The scheduled attribution tally decides its rows in chunks: twenty open decisions cost no more queries than two."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from payments import services as payments
from shop.orders.models import Order
from social.shares import services
from social.shares.models import Attribution, ShareLink
from tests.factories import VariantFactory
from tests.social.rewards.conftest import make_member, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def variant(shipping_methods):
    return VariantFactory(price=1980, stock=100)


@pytest.fixture
def staff(db):
    return make_member("staff@example.jp", is_staff=True)


@pytest.fixture
def link(variant):
    sharer = make_member("sharer@example.jp")
    return services.share_links_ensure(sharer=sharer, product_id=variant.product_id)[ShareLink.Channel.LINE]


def _lost_orders(count: int, *, tag: str, variant, link, staff) -> list[int]:
    """Attributed orders paid without their on-commit tasks: every decision is left to the tally."""
    order_ids = []
    for n in range(count):
        order = place(variant, email=f"{tag}-{n}@example.jp")
        services.attribution_record_pending(
            order_numbers=[order.number], link_id=link.pk, clicked_at=timezone.now() - datetime.timedelta(hours=1)
        )
        payments.manual_payment_mark_paid(order_id=order.pk, actor=staff)
        order_ids.append(order.pk)
    return order_ids


def _tally() -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as queries:
        counts = services.attribution_tally()
    return counts, len(queries)


def test_the_tally_decides_and_reverses_in_a_fixed_number_of_queries(variant, link, staff):
    few_ids = _lost_orders(2, tag="few", variant=variant, link=link, staff=staff)
    few_counts, few = _tally()
    many_ids = _lost_orders(20, tag="many", variant=variant, link=link, staff=staff)
    many_counts, many = _tally()
    assert (few_counts["confirmed"], many_counts["confirmed"]) == (2, 20)
    assert many <= few, (few, many)
    assert not Attribution.objects.exclude(status=Attribution.Status.CONFIRMED).exists()

    # Full refunds whose tasks were lost too: the tally reverses them.
    Order.objects.filter(pk__in=few_ids).update(status=Order.Status.REFUNDED)
    few_counts, few = _tally()
    Order.objects.filter(pk__in=many_ids).update(status=Order.Status.REFUNDED)
    many_counts, many = _tally()
    assert (few_counts["reversed"], many_counts["reversed"]) == (2, 20)
    assert many <= few, (few, many)
    assert Attribution.objects.filter(status=Attribution.Status.REVERSED).count() == 22
