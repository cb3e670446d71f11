"""The orders CSV for Excel: one row a line of each order, with cells that cannot run as formulas."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CSV_COLUMNS = (
    _("order number"), _("ordered at (JST)"), _("status"), _("payment method"), _("email"), _("full name"),
    _("postal code"), _("prefecture"), _("address"), _("phone"), _("SKU"), _("product"), _("variant"),
    _("unit price"), _("quantity"), _("line subtotal"), _("shipping fee"), _("payment fee"), _("discount"),
    _("order total"), _("refunded"), _("carrier"), _("tracking number"),
)  # fmt: skip


def _csv_cell(value):
    # Customers type names and addresses; a cell starting with = + - @ would run as a formula in Excel.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_rows(orders):
    for order in orders:
        status = order.get_status_display()
        method = order.get_payment_method_display()
        created = timezone.localtime(order.created_at).strftime("%Y-%m-%d %H:%M")
        address = " ".join(part for part in (order.ship_city, order.ship_street, order.ship_building) if part)
        for line in order.lines.all():
            yield [
                _csv_cell(value)
                for value in (
                    order.number, created, status, method, order.email, order.ship_name, order.ship_postal_code,
                    order.ship_prefecture, address, order.ship_phone, line.sku, line.product_name,
                    line.variant_label, line.unit_price, line.quantity, line.line_total, order.shipping_fee,
                    order.payment_fee, order.discount, order.total, order.refunded_amount, order.carrier,
                    order.tracking_number,
                )
            ]  # fmt: skip
