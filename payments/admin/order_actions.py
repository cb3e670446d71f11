"""The order list's actions: mark paid, shipped (asking carrier and tracking number), delivered, cancel, export CSV.

Nothing here changes an order by itself: each action calls a service (payments.services or
shop.orders.services), one order at a time, and reports each order's outcome as a message.
"""

import csv
import io

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shop.core.admin_audit import log_personal_data_access
from shop.orders import services as order_services
from shop.orders.exceptions import OrderStateError
from shop.orders.models import Order, OrderLine

from .. import services
from ..exceptions import PaymentError
from .common import normalise_text
from .order_export import CSV_COLUMNS, csv_rows

Status = Order.Status

OTHER_CARRIER = "other"
CARRIER_CHOICES = (
    ("ヤマト運輸", _("Yamato Transport")),
    ("佐川急便", _("Sagawa Express")),
    ("日本郵便", _("Japan Post")),
    ("西濃運輸", _("Seino Transportation")),
    (OTHER_CARRIER, _("Other (enter below)")),
)


class ShipForm(forms.Form):
    order_id = forms.IntegerField(widget=forms.HiddenInput)
    carrier = forms.ChoiceField(label=_("Carrier"), choices=CARRIER_CHOICES)
    other_carrier = forms.CharField(label=_("Other carrier"), max_length=50, required=False)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=50)

    def clean_tracking_number(self):
        value = normalise_text(self.cleaned_data["tracking_number"])
        if not value:
            raise ValidationError(gettext("Enter the tracking number."))
        return value

    def clean(self):
        data = super().clean()
        if data.get("carrier") == OTHER_CARRIER:
            other = normalise_text(data.get("other_carrier", ""))
            if not other:
                self.add_error("other_carrier", gettext("Enter the name of the carrier."))
            data["carrier_name"] = other
        else:
            data["carrier_name"] = data.get("carrier", "")
        return data


ShipFormSet = forms.formset_factory(ShipForm, extra=0)


def _can_ship(order: Order) -> bool:
    # Only decides which rows the shipping form asks about; order_mark_shipped checks again and has the last word.
    return order.status in {Status.PAID, Status.PROCESSING} or (
        order.status == Status.PENDING_PAYMENT and order.payment_method == Order.PaymentMethod.COD
    )


class OrderActionsMixin:
    """OrderAdmin's actions; OrderAdmin lists them and holds the permissions they ask for."""

    def _apply(self, request, order: Order, apply, done: str, unchanged: str = "") -> None:
        """One service call for one order; its outcome (or the reason it was refused) becomes a message.

        A service answering False changed nothing because the order already was where it was asked to go."""
        try:
            changed = apply(order)
        except (OrderStateError, PaymentError) as error:
            self.message_user(request, f"{order.number}: {error}", messages.ERROR)
            return
        if changed is False:
            self.message_user(request, unchanged % {"number": order.number})
        else:
            self.message_user(request, done % {"number": order.number}, messages.SUCCESS)

    def _each_order(self, request, queryset, apply, done: str, unchanged: str = "") -> None:
        # Each call is its own transaction: one refused order does not undo the others.
        for order in queryset.order_by("created_at", "id"):
            self._apply(request, order, apply, done, unchanged)

    @admin.action(description=_("Mark bank transfer / cash on delivery as paid"), permissions=["mark_paid"])
    def mark_paid(self, request, queryset):
        self._each_order(
            request,
            queryset,
            lambda order: services.manual_payment_mark_paid(order_id=order.pk, actor=request.user),
            gettext("%(number)s: payment recorded."),
            gettext("%(number)s: already paid, nothing changed."),
        )

    @admin.action(description=_("Mark shipped (asks carrier and tracking number)"), permissions=["change"])
    def mark_shipped(self, request, queryset):
        orders = {order.pk: order for order in queryset.order_by("created_at", "id")}
        if "apply" in request.POST:
            formset = ShipFormSet(request.POST, prefix="ship")
            if formset.is_valid():
                for form in formset:
                    data = form.cleaned_data
                    order = orders.get(data["order_id"])
                    if order is None:
                        continue  # not among the selected orders
                    self._apply(
                        request,
                        order,
                        lambda order, data=data: order_services.order_mark_shipped(
                            order_id=order.pk,
                            carrier=data["carrier_name"],
                            tracking_number=data["tracking_number"],
                            actor=request.user,
                        ),
                        gettext("%(number)s: marked shipped."),
                    )
                return None
        else:
            shippable = [order for order in orders.values() if _can_ship(order)]
            if not shippable:
                self.message_user(
                    request,
                    gettext("None of the selected orders can be shipped now (only paid or cash on delivery orders)."),
                    messages.ERROR,
                )
                return None
            initial = [{"order_id": order.pk, "carrier": CARRIER_CHOICES[0][0]} for order in shippable]
            formset = ShipFormSet(prefix="ship", initial=initial)
        rows = []
        for form in formset:
            order_id = str(form["order_id"].value())
            rows.append((orders.get(int(order_id)) if order_id.isdigit() else None, form))
        shown = {order.pk for order, _form in rows if order is not None}
        return self._action_page(
            request,
            "admin/payments/order_ship.html",
            title=gettext("Mark orders shipped"),
            action="mark_shipped",
            orders=[order for order in orders.values() if order.pk in shown],
            formset=formset,
            rows=rows,
            left_out=[order for order in orders.values() if order.pk not in shown],
        )

    @admin.action(description=_("Mark delivered"), permissions=["change"])
    def mark_delivered(self, request, queryset):
        self._each_order(
            request,
            queryset,
            lambda order: order_services.order_mark_delivered(order_id=order.pk, actor=request.user),
            gettext("%(number)s: marked delivered."),
        )

    @admin.action(description=_("Cancel (puts the stock back)"), permissions=["change"])
    def cancel_orders(self, request, queryset):
        if "apply" not in request.POST:
            return self._action_page(
                request,
                "admin/payments/order_cancel_confirm.html",
                title=gettext("Cancel orders"),
                action="cancel_orders",
                orders=list(queryset.order_by("created_at", "id")),
            )
        self._each_order(
            request,
            queryset,
            lambda order: order_services.order_cancel(order_id=order.pk, actor=request.user),
            gettext("%(number)s: cancelled, stock put back."),
            gettext("%(number)s: already cancelled."),
        )
        return None

    @admin.action(description=_("Export the selected orders as CSV (Excel)"), permissions=["view"])
    def export_csv(self, request, queryset):
        log_personal_data_access(
            request,
            (
                (user_id, f"{self.opts.verbose_name} {number} (CSV)")
                for user_id, number in queryset.order_by("created_at", "id").values_list("user_id", "number")
            ),
        )
        lines = Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
        orders = queryset.order_by("created_at", "id").prefetch_related(lines).iterator(chunk_size=500)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([str(label) for label in CSV_COLUMNS])
        writer.writerows(csv_rows(orders))
        # Excel in Japan reads a CSV as Shift_JIS unless it starts with the UTF-8 byte order mark.
        response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.csv"'
        return response

    def _action_page(self, request, template: str, *, title: str, action: str, orders, **context):
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": title,
                "action": action,
                "orders": orders,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                **context,
            },
        )
