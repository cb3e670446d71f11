"""Orders and staff for the dashboard tests: orders are written directly (no checkout) with known amounts."""

import datetime

import pytest
from django.contrib.auth.models import Group

from shop.accounts.roles import CUSTOMER_SUPPORT, MARKETING, SHOP_MANAGER
from shop.dashboard.selectors.common import day_start
from shop.orders.models import Order, OrderLine
from tests.factories import OrderFactory, UserFactory

TODAY = datetime.date(2025, 6, 30)


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return day_start(day) + datetime.timedelta(hours=hour)


def order_row(
    *,
    total: int = 1000,
    status: str = Order.Status.PAID,
    paid: datetime.datetime | None = None,
    created: datetime.datetime | None = None,
    refunded: int = 0,
    user=None,
    email: str = "guest@example.jp",
    shipped: datetime.datetime | None = None,
) -> Order:
    return OrderFactory.build(
        user=user,
        email=user.email if user else email,
        status=status,
        delivery_date_min=datetime.date(2025, 1, 1),
        delivery_date_max=datetime.date(2025, 1, 3),
        subtotal=total,
        shipping_fee=0,
        refunded_amount=refunded,
        paid_at=paid,
        shipped_at=shipped,
    )


def make_order(*, lines: list[tuple[str, int, int]] = (), created=None, **kwargs) -> Order:
    """lines: (sku, unit price, quantity). created sets created_at (auto_now_add otherwise)."""
    order = order_row(**kwargs)
    order.save()
    if created is not None or kwargs.get("paid") is not None:
        Order.objects.filter(pk=order.pk).update(created_at=created or kwargs["paid"])
    for sku, price, quantity in lines:
        OrderLine.objects.create(order=order, sku=sku, product_name=f"商品 {sku}", unit_price=price, quantity=quantity)
    return order


@pytest.fixture
def staff(client, otp_login, db):
    """staff(role) signs a staff member with that role (None: no role) in with a verified session."""

    def make(role: str | None, email: str | None = None):
        user = UserFactory(
            email=email or f"{(role or 'none').replace(' ', '-').lower()}@staff.example.jp", is_staff=True
        )
        if role:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        otp_login(client, user)
        client.user = user
        return user

    return make


ROLES = {"manager": SHOP_MANAGER, "marketing": MARKETING, "support": CUSTOMER_SUPPORT}
