"""Customer-level figures (shop manager only; the views log each customer shown or exported)."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Max, Min, Sum

from .common import NET, DateRange, counted_orders, customer_key


@dataclass(frozen=True)
class CustomerRow:
    key: str
    user_id: int | None
    email: str
    name: str
    orders: int
    revenue: int
    first_paid: datetime.datetime
    last_paid: datetime.datetime


def top_customers(*, period: DateRange, limit: int | None = 20) -> list[CustomerRow]:
    """Customers by revenue (total minus refunds) of their counted orders paid in the period."""
    rows = (
        counted_orders()
        .filter(period.q("paid_at"))
        .values(key=customer_key())
        .annotate(
            user=Max("user_id"),
            address=Max("email"),
            ship_name=Max("ship_name"),
            orders=Count("pk"),
            revenue=Sum(NET),
            first=Min("paid_at"),
            last=Max("paid_at"),
        )
        .order_by("-revenue", "key")
    )
    if limit is not None:
        rows = rows[:limit]
    return [
        CustomerRow(
            key=row["key"],
            user_id=row["user"],
            email=row["address"],
            name=row["ship_name"],
            orders=row["orders"],
            revenue=row["revenue"] or 0,
            first_paid=row["first"],
            last_paid=row["last"],
        )
        for row in rows
    ]
