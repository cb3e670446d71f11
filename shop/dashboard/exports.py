"""Tables for spreadsheets (F68): orders with their lines, products, campaign results and customers in a date
range, written as CSV (UTF-8 with a byte order mark, so Excel in Japan reads it as UTF-8) or XLSX.

Who may export what, and the personal-data access log, are the view's job (shop.dashboard.admin).
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Prefetch, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.catalog.models import Variant
from shop.orders.models import Order, OrderLine

from .selectors.common import COUNTED_STATUSES, DateRange
from .selectors.customers import top_customers
from .selectors.marketing import campaign_rows
from .xlsx import workbook_bytes


@dataclass
class Table:
    name: str
    header: list[str]
    rows: Iterable[Sequence]
    # (customer id or None for a guest, what): one access-log row each, for tables with personal data.
    personal_data: list[tuple[int | None, str]] | None = None


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def orders_table(*, period: DateRange) -> Table:
    """Every order placed in the period (any status), one row per line."""
    orders = Order.objects.filter(period.q("created_at")).order_by("created_at", "pk")
    logged = [(user_id, f"order {number} (export)") for user_id, number in orders.values_list("user_id", "number")]
    lines = Prefetch("lines", queryset=OrderLine.objects.order_by("pk"))

    def rows() -> Iterator[list]:
        for order in orders.prefetch_related(lines).iterator(chunk_size=2000):
            head = [
                order.number,
                _when(order.created_at),
                order.get_status_display(),
                order.get_payment_method_display(),
                _when(order.paid_at),
                order.email,
                order.ship_name,
                order.ship_postal_code,
                order.ship_prefecture,
                " ".join(part for part in (order.ship_city, order.ship_street, order.ship_building) if part),
                order.ship_phone,
            ]
            tail = [
                order.subtotal,
                order.shipping_fee,
                order.payment_fee,
                order.discount,
                order.coupon_code,
                order.points_used,
                order.total,
                order.refunded_amount,
                order.total - order.refunded_amount,
            ]
            for line in order.lines.all():
                yield [
                    *head,
                    line.sku,
                    line.product_name,
                    line.variant_label,
                    line.unit_price,
                    line.quantity,
                    line.line_total,
                    *tail,
                ]

    header = [
        _("order number"),
        _("ordered at (JST)"),
        _("status"),
        _("payment method"),
        _("paid at (JST)"),
        _("email"),
        _("full name"),
        _("postal code"),
        _("prefecture"),
        _("address"),
        _("phone"),
        _("SKU"),
        _("product"),
        _("variant"),
        _("unit price"),
        _("quantity"),
        _("line subtotal"),
        _("subtotal"),
        _("shipping fee"),
        _("payment fee"),
        _("discount"),
        _("coupon"),
        _("points used"),
        _("order total"),
        _("refunded"),
        _("net revenue"),
    ]
    return Table(name=_("Orders"), header=header, rows=rows(), personal_data=logged)


def products_table(*, period: DateRange) -> Table:
    """Every variant with its stock, and units and line revenue sold on counted orders paid in the period."""
    sold = {
        row["variant_id"]: row
        for row in OrderLine.objects.filter(order__paid_at__isnull=False, order__status__in=COUNTED_STATUSES)
        .filter(period.q("order__paid_at"))
        .values("variant_id")
        .annotate(units=Sum("quantity"), revenue=Sum(F("unit_price") * F("quantity")), orders=Count("order"))
    }
    variants = Variant.objects.select_related("product__category").order_by("product__name", "position", "sku")
    rows = (
        [
            variant.product.name,
            str(variant.product.category),
            variant.product.brand,
            variant.sku,
            variant.size,
            variant.colour,
            variant.price,
            variant.stock,
            _("yes") if variant.is_active else _("no"),
            sold.get(variant.pk, {}).get("units") or 0,
            sold.get(variant.pk, {}).get("revenue") or 0,
        ]
        for variant in variants.iterator(chunk_size=2000)
    )
    header = [
        _("product"),
        _("category"),
        _("brand"),
        _("SKU"),
        _("size"),
        _("colour"),
        _("price (tax incl.)"),
        _("stock"),
        _("on sale"),
        _("units sold"),
        _("line revenue"),
    ]
    return Table(name=_("Products"), header=header, rows=rows)


def campaigns_table(*, period: DateRange) -> Table:
    def percent(value: float | None) -> str:
        return f"{value * 100:.1f}%" if value is not None else ""

    rows = [
        [
            row.campaign.name,
            row.campaign.get_status_display(),
            _when(row.campaign.send_at),
            row.recipients,
            row.sent,
            row.delivered,
            row.clicked,
            percent(row.click_rate),
            row.orders,
            row.coupon_uses,
        ]
        for row in campaign_rows(period=period, limit=1000)
    ]
    header = [
        _("campaign"),
        _("status"),
        _("send at"),
        _("recipients"),
        _("sent"),
        _("delivered"),
        _("clicked"),
        _("click rate"),
        _("orders"),
        _("coupon uses"),
    ]
    return Table(name=_("Campaigns"), header=header, rows=rows)


def customers_table(*, period: DateRange) -> Table:
    """Every customer with a counted order paid in the period: members and guests."""
    customers = top_customers(period=period, limit=None)
    users = {
        user.pk: user
        for user in get_user_model()
        .objects.filter(pk__in=[row.user_id for row in customers if row.user_id])
        .only("display_name", "date_joined")
    }
    rows = []
    for row in customers:
        user = users.get(row.user_id)
        rows.append(
            [
                row.user_id or _("guest"),
                row.email,
                row.name,
                user.display_name if user else "",
                _when(user.date_joined) if user else "",
                row.orders,
                row.revenue,
                _when(row.first_paid),
                _when(row.last_paid),
            ]
        )
    header = [
        _("customer id"),
        _("email"),
        _("full name"),
        _("display name"),
        _("joined"),
        _("orders"),
        _("net revenue"),
        _("first paid order in range"),
        _("last paid order in range"),
    ]
    logged = [(row.user_id, f"customer {row.user_id or 'guest'} (export)") for row in customers]
    return Table(name=_("Customers"), header=header, rows=rows, personal_data=logged)


def _csv_cell(value):
    # Names and addresses are typed by customers: a cell starting with = + - @ would run as a formula in Excel.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_bytes(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.header)
    writer.writerows([_csv_cell(value) for value in row] for row in table.rows)
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(table: Table) -> bytes:
    return workbook_bytes([(table.name, table.header, table.rows)])


TABLES = {
    "orders": orders_table,
    "products": products_table,
    "campaigns": campaigns_table,
    "customers": customers_table,
}
