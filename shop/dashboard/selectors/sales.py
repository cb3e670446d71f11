"""Sales: revenue, orders and average order value per period, per day, orders to ship, low stock, best sellers."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, Max, Sum
from django.db.models.functions import TruncDate

from shop.catalog.models import Variant
from shop.orders.models import Order, OrderLine

from .common import COUNTED_STATUSES, NET, DateRange, average, counted_orders, tokyo


@dataclass(frozen=True)
class SalesFigure:
    label: str
    period: DateRange
    revenue: int
    orders: int

    @property
    def aov(self) -> int:
        return average(self.revenue, self.orders)


def sales_periods(*, periods: list[tuple[str, DateRange]]) -> list[SalesFigure]:
    """Revenue (total minus refunds) and orders of each period, all in one query."""
    aggregates = {}
    for index, (_label, period) in enumerate(periods):
        aggregates[f"revenue_{index}"] = Sum(NET, filter=period.q("paid_at"))
        aggregates[f"orders_{index}"] = Count("pk", filter=period.q("paid_at"))
    earliest = min(period.start for _label, period in periods)
    latest = max(period.end for _label, period in periods)
    row = counted_orders().filter(DateRange(earliest, latest).q("paid_at")).aggregate(**aggregates)
    return [
        SalesFigure(
            label=label, period=period, revenue=row[f"revenue_{index}"] or 0, orders=row[f"orders_{index}"] or 0
        )
        for index, (label, period) in enumerate(periods)
    ]


@dataclass(frozen=True)
class DailySales:
    day: datetime.date
    revenue: int
    orders: int


def sales_daily(*, period: DateRange) -> list[DailySales]:
    rows = {
        row["day"]: row
        for row in counted_orders()
        .filter(period.q("paid_at"))
        .annotate(day=TruncDate("paid_at", tzinfo=tokyo()))
        .values("day")
        .annotate(revenue=Sum(NET), orders=Count("pk"))
        .order_by("day")
    }
    return [
        DailySales(day=day, revenue=rows.get(day, {}).get("revenue") or 0, orders=rows.get(day, {}).get("orders", 0))
        for day in period.each_day()
    ]


TO_SHIP_STATUSES = (Order.Status.PAID, Order.Status.PROCESSING)


def orders_to_ship_count() -> int:
    return Order.objects.filter(status__in=TO_SHIP_STATUSES, shipped_at__isnull=True).count()


def low_stock_variants(*, limit: int = 10) -> tuple[int, list[Variant]]:
    """Variants on sale with stock at or below SHOP_LOW_STOCK_THRESHOLD (sold out included): count and the lowest."""
    variants = Variant.objects.filter(is_active=True, stock__lte=settings.SHOP_LOW_STOCK_THRESHOLD)
    rows = list(variants.select_related("product").order_by("stock", "sku")[:limit])
    count = len(rows) if len(rows) < limit else variants.count()
    return count, rows


@dataclass(frozen=True)
class BestSeller:
    product_id: int | None
    name: str
    units: int
    revenue: int


def best_sellers(*, period: DateRange, limit: int = 10) -> list[BestSeller]:
    """Products by units sold on counted orders paid in the period; revenue is the lines' price × quantity
    (before order-level discounts)."""
    rows = (
        OrderLine.objects.filter(order__paid_at__isnull=False, order__status__in=COUNTED_STATUSES)
        .filter(period.q("order__paid_at"))
        .values("variant__product_id")
        .annotate(name=Max("product_name"), units=Sum("quantity"), revenue=Sum(F("unit_price") * F("quantity")))
        .order_by("-units", "-revenue", "variant__product_id")[:limit]
    )
    return [
        BestSeller(product_id=row["variant__product_id"], name=row["name"], units=row["units"], revenue=row["revenue"])
        for row in rows
    ]
