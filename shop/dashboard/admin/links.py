"""Where a figure came from: the admin list (with the same filters) or object it counts."""

from urllib.parse import urlencode

from django.urls import reverse

from ..selectors.common import COUNTED_STATUSES, DateRange


def changelist(model: str, **params) -> str:
    """changelist("orders.order", status__exact="paid") -> "/admin/orders/order/?status__exact=paid"."""
    app_label, model_name = model.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


def change(model: str, pk) -> str:
    app_label, model_name = model.split(".")
    return reverse(f"admin:{app_label}_{model_name}_change", args=[pk])


def counted_orders_url(period: DateRange, **extra) -> str:
    """The order list showing exactly the orders a sales figure counts."""
    return changelist(
        "orders.order",
        status__in=",".join(COUNTED_STATUSES),
        paid__gte=f"{period.start:%Y-%m-%d}",
        paid__lte=f"{period.end:%Y-%m-%d}",
        **extra,
    )
