"""Fixtures for the points and ranks tests: members, orders in any state at a chosen time, the default ranks."""

import datetime
import importlib
from zoneinfo import ZoneInfo

import pytest

from loyalty.models import LoyaltySettings, PointEntry, Rank
from shop.accounts.privacy_services import legal_accept_current
from shop.orders.models import Order
from tests.factories import OrderFactory, UserFactory

JST = ZoneInfo("Asia/Tokyo")
T0 = datetime.datetime(2026, 4, 1, 12, 0, tzinfo=JST)


def days(n: float) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def make_member(**fields):
    user = UserFactory(**fields)
    legal_accept_current(user=user)
    return user


def make_order(
    user,
    *,
    subtotal: int,
    discount: int = 0,
    points_used: int = 0,
    shipping_fee: int = 500,
    paid_at: datetime.datetime | None = T0,
    status: str | None = None,
    refunded_amount: int = 0,
    language: str = "ja",
) -> Order:
    """An order row as checkout and payment leave it (paid at paid_at unless None)."""
    if status is None:
        status = Order.Status.PAID if paid_at else Order.Status.PENDING_PAYMENT
    return OrderFactory(
        user=user,
        email=user.email if user else "guest@example.jp",
        language=language,
        status=status,
        delivery_date_min=datetime.date(2026, 4, 3),
        delivery_date_max=datetime.date(2026, 4, 5),
        subtotal=subtotal,
        shipping_fee=shipping_fee,
        discount=discount,
        points_used=points_used,
        refunded_amount=refunded_amount,
        paid_at=paid_at,
    )


def refund(order: Order, amount: int) -> Order:
    """Records money given back, as payments' refund does (cumulative amount and status)."""
    order.refunded_amount += amount
    order.status = Order.Status.REFUNDED if order.refunded_amount == order.total else Order.Status.PARTIALLY_REFUNDED
    order.save(update_fields=["refunded_amount", "status"])
    return order


def ledger(user) -> list[tuple[str, int]]:
    return list(PointEntry.objects.filter(user=user).order_by("pk").values_list("source_key", "amount"))


def available_sum(user, now) -> int:
    return sum(
        amount
        for amount in PointEntry.objects.filter(user=user, available_at__lte=now).values_list("amount", flat=True)
    )


@pytest.fixture
def ranks(db):
    """The ranks the data migration creates (made again if a transactional test flushed them), by code."""
    defaults = importlib.import_module("loyalty.migrations.0002_default_ranks").DEFAULTS
    return {row["code"]: Rank.objects.get_or_create(code=row["code"], defaults=row)[0] for row in defaults}


@pytest.fixture
def loyalty_settings(db):
    return LoyaltySettings.load()


@pytest.fixture
def member(db, ranks):
    return make_member(email="hanako@example.jp", display_name="はなこ")
