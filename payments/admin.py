"""Staff admin for orders, payments, refunds, payment settings and Stripe webhook events.

The order admin is registered here and not in shop.orders: its page shows payments and refunds, and its actions
take and give back money, which is this layer's job. shop.orders sits below payments and may not import it
(DESIGN.md, dependency direction), while payments may use every order service.

Nothing here changes an order by itself: each action calls a service (payments.services or
shop.orders.services), one order at a time, and reports each order's outcome as a message.
"""

import csv
import datetime
import io
import json
import re
import unicodedata

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shop.core.admin_audit import PersonalDataAuditMixin, log_personal_data_access
from shop.core.money import Money
from shop.orders import services as order_services
from shop.orders.exceptions import OrderStateError
from shop.orders.models import Order, OrderEvent, OrderLine

from . import services
from .exceptions import PaymentError
from .models import Payment, PaymentSettings, Refund, WebhookEvent

Status = Order.Status

# --- Read-only building blocks ------------------------------------------------------------------------------------


class ReadOnlyInline(admin.TabularInline):
    """Part of the order's record: shown to whoever may see the order, changed only by the services."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_order") or request.user.has_perm("orders.change_order")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by the services (payments, refunds, webhook events): staff look, never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _money(amount: int, currency: str) -> str:
    return Money(amount, currency).format()


# --- Order list filters -------------------------------------------------------------------------------------------


class CreatedDateRangeFilter(admin.ListFilter):
    """Orders placed from one date to another (both days included, Tokyo time): ?created__gte=&created__lte=."""

    title = _("order date")
    template = "admin/payments/date_range_filter.html"
    parameter_from = "created__gte"
    parameter_to = "created__lte"
    field = "created_at"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.raw = {}
        self.dates: dict[str, datetime.date] = {}
        self.errors = []
        field = forms.DateField()
        for name in self.expected_parameters():
            if name not in params:
                continue
            value = params.pop(name)[-1].strip()
            self.used_parameters[name] = value
            self.raw[name] = value
            if not value:
                continue
            try:
                self.dates[name] = field.clean(value)
            except ValidationError:
                # A mistyped date narrows nothing; the filter says so instead of failing the whole list.
                self.errors.append(gettext("“%(value)s” is not a date (e.g. 2025-04-01).") % {"value": value})

    def has_output(self):
        return True

    def expected_parameters(self):
        return [self.parameter_from, self.parameter_to]

    def queryset(self, request, queryset):
        start = self.dates.get(self.parameter_from)
        end = self.dates.get(self.parameter_to)
        if start:
            queryset = queryset.filter(**{f"{self.field}__gte": _start_of_day(start)})
        if end:
            queryset = queryset.filter(**{f"{self.field}__lt": _start_of_day(end + datetime.timedelta(days=1))})
        return queryset

    def choices(self, changelist):
        expected = self.expected_parameters()
        yield {
            "from_name": self.parameter_from,
            "to_name": self.parameter_to,
            "from_value": self.raw.get(self.parameter_from, ""),
            "to_value": self.raw.get(self.parameter_to, ""),
            # The rest of the list's query (search, other filters) goes along with the dates.
            "hidden": [
                (name, value)
                for name, values in changelist.filter_params.items()
                if name not in expected
                for value in values
            ],
            "active": bool(self.dates),
            "clear_url": changelist.get_query_string(remove=expected),
            "errors": self.errors,
        }


class PaidDateRangeFilter(CreatedDateRangeFilter):
    """Orders paid from one date to another (the dashboard's sales figures link here): ?paid__gte=&paid__lte=."""

    title = _("payment date")
    parameter_from = "paid__gte"
    parameter_to = "paid__lte"
    field = "paid_at"


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class FlaggedListFilter(admin.SimpleListFilter):
    title = _("needs attention")
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return (("yes", _("Yes")), ("no", _("No")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(flagged_reason="")
        if self.value() == "no":
            return queryset.filter(flagged_reason="")
        return queryset


# --- Order inlines ------------------------------------------------------------------------------------------------


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ("sku", "product_name", "variant_label", "unit_price_display", "quantity", "line_total_display")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order")

    @admin.display(description=_("unit price"))
    def unit_price_display(self, line):
        return line.unit_price_money.format()

    @admin.display(description=_("subtotal"))
    def line_total_display(self, line):
        return line.line_total_money.format()


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = (
        "method", "status", "amount_display", "refunded_display", "stripe_payment_intent", "card", "error_code",
        "error_message", "recorded_by", "created_at",
    )  # fmt: skip
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")

    @admin.display(description=_("amount"))
    def amount_display(self, payment):
        return payment.amount_money.format()

    @admin.display(description=_("refunded"))
    def refunded_display(self, payment):
        return _money(payment.refunded_amount, payment.currency)

    @admin.display(description=_("card"))
    def card(self, payment):
        return f"{payment.card_brand} •••• {payment.card_last4}" if payment.card_last4 else "—"


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ("created_at", "status", "event", "actor_label", "is_public")
    readonly_fields = fields
    verbose_name_plural = _("timeline")

    @admin.display(description=_("message"))
    def event(self, entry):
        # Services store English message ids (gettext_noop), shown here in the staff member's language.
        return gettext(entry.message)


# --- Order action forms -------------------------------------------------------------------------------------------

OTHER_CARRIER = "other"
CARRIER_CHOICES = (
    ("ヤマト運輸", _("Yamato Transport")),
    ("佐川急便", _("Sagawa Express")),
    ("日本郵便", _("Japan Post")),
    ("西濃運輸", _("Seino Transportation")),
    (OTHER_CARRIER, _("Other (enter below)")),
)


def _normalise_text(value: str) -> str:
    """Full-width digits and letters as typed on a Japanese keyboard become plain ASCII."""
    return unicodedata.normalize("NFKC", value or "").strip()


class ShipForm(forms.Form):
    order_id = forms.IntegerField(widget=forms.HiddenInput)
    carrier = forms.ChoiceField(label=_("Carrier"), choices=CARRIER_CHOICES)
    other_carrier = forms.CharField(label=_("Other carrier"), max_length=50, required=False)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=50)

    def clean_tracking_number(self):
        value = _normalise_text(self.cleaned_data["tracking_number"])
        if not value:
            raise ValidationError(gettext("Enter the tracking number."))
        return value

    def clean(self):
        data = super().clean()
        if data.get("carrier") == OTHER_CARRIER:
            other = _normalise_text(data.get("other_carrier", ""))
            if not other:
                self.add_error("other_carrier", gettext("Enter the name of the carrier."))
            data["carrier_name"] = other
        else:
            data["carrier_name"] = data.get("carrier", "")
        return data


ShipFormSet = forms.formset_factory(ShipForm, extra=0)

_WHOLE_YEN = re.compile(r"-?\d{1,12}")
_PHONE_LIKE = re.compile(r"[0-9\s()\-‐‑‒–—―−ー]+")


class RefundForm(forms.Form):
    amount = forms.CharField(label=_("Amount to refund (yen)"), max_length=20)
    reason = forms.CharField(
        label=_("Reason for the refund"), max_length=200, widget=forms.TextInput(attrs={"size": 60})
    )
    # What the order had refunded when the page was shown: a second submit of the same page refunds nothing.
    refunded_before = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, refundable: int, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.refundable = refundable
        self.currency = currency

    def clean_amount(self):
        text = _normalise_text(self.cleaned_data["amount"]).replace(",", "").removeprefix("¥").strip()
        if not _WHOLE_YEN.fullmatch(text):
            raise ValidationError(gettext("Enter the amount as a whole number of yen, e.g. 1980."))
        amount = int(text)
        if amount <= 0:
            raise ValidationError(gettext("Enter an amount of ¥1 or more."))
        if amount > self.refundable:
            raise ValidationError(
                gettext("At most %(max)s can be refunded.") % {"max": _money(self.refundable, self.currency)}
            )
        return amount

    def clean_reason(self):
        return _normalise_text(self.cleaned_data["reason"])


def _can_ship(order: Order) -> bool:
    # Only decides which rows the shipping form asks about; order_mark_shipped checks again and has the last word.
    return order.status in {Status.PAID, Status.PROCESSING} or (
        order.status == Status.PENDING_PAYMENT and order.payment_method == Order.PaymentMethod.COD
    )


# --- CSV export ---------------------------------------------------------------------------------------------------

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


def _csv_rows(orders):
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


# --- Order admin --------------------------------------------------------------------------------------------------


@admin.register(Order)
class OrderAdmin(PersonalDataAuditMixin, admin.ModelAdmin):
    """Orders are looked at here and moved on only through the actions (services); no field is edited by hand,
    so amounts can never drift from what was charged."""

    list_display = (
        "number", "created_at", "customer", "total_display", "status", "payment_method", "is_paid", "is_flagged",
    )  # fmt: skip
    list_filter = ("status", "payment_method", CreatedDateRangeFilter, PaidDateRangeFilter, FlaggedListFilter)
    list_select_related = ("user",)
    search_fields = ("number", "email", "ship_phone", "ship_name")
    search_help_text = _("Order number, email, phone or name.")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    list_per_page = 50
    change_form_template = "admin/payments/order_change_form.html"
    view_on_site = False  # the customer's order page is only for the customer
    inlines = (OrderLineInline, PaymentInline, OrderEventInline)
    actions = ("mark_paid", "mark_shipped", "mark_delivered", "cancel_orders", "refund", "export_csv")
    fieldsets = (
        (None, {"fields": (
            "number", "status", "payment_method", "created_at", "user", "email", "language", "flagged_reason",
        )}),
        (_("Amounts"), {"fields": (
            "subtotal_display", "shipping_fee_display", "payment_fee_display", "discount_display", "total_display",
            "refunded_display", "refund_history",
        )}),
        (_("Shipping address"), {"fields": (
            "ship_name", "ship_postal_code", "ship_prefecture", "ship_city", "ship_street", "ship_building",
            "ship_phone",
        )}),
        (_("Delivery"), {"fields": (
            "shipping_method_name", "delivery_date_min", "delivery_date_max", "carrier", "tracking_number",
            "shipped_at", "delivered_at",
        )}),
        (_("Dates"), {"fields": (
            "reserved_until", "payment_due", "paid_at", "cancelled_at", "confirmation_sent_at", "updated_at",
        )}),
    )  # fmt: skip
    readonly_fields = (
        "subtotal_display", "shipping_fee_display", "payment_fee_display", "discount_display", "total_display",
        "refunded_display", "refund_history",
    )  # fmt: skip

    # The change page is a read-only view (no save button, a POST is refused); the actions still need "change".
    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # Phones are stored as digits only; staff paste "090-1234-5678" or full-width digits.
        text = _normalise_text(search_term)
        if _PHONE_LIKE.fullmatch(text):
            digits = "".join(ch for ch in text if ch.isdigit())
            if len(digits) >= 4 and digits != search_term:
                results |= queryset.filter(ship_phone__contains=digits)
        return results, may_have_duplicates

    def get_urls(self):
        return [
            path(
                "<path:object_id>/refund/",
                self.admin_site.admin_view(self.refund_view),
                name="orders_order_refund",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_refund": self.has_refund_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    # --- columns ---

    @admin.display(description=_("customer"), ordering="ship_name")
    def customer(self, order):
        member = format_html("<br><small>{}: {}</small>", _("member"), order.user) if order.user_id else ""
        return format_html("{}<br><small>{}</small>{}", order.ship_name, order.email, member)

    @admin.display(description=_("total"), ordering="total")
    def total_display(self, order):
        return order.total_money.format()

    @admin.display(description=_("paid"), boolean=True, ordering="paid_at")
    def is_paid(self, order):
        return order.paid_at is not None

    @admin.display(description=_("needs attention"), boolean=True)
    def is_flagged(self, order):
        return bool(order.flagged_reason)

    @admin.display(description=_("subtotal"))
    def subtotal_display(self, order):
        return order.subtotal_money.format()

    @admin.display(description=_("shipping fee"))
    def shipping_fee_display(self, order):
        return order.shipping_fee_money.format()

    @admin.display(description=_("payment fee"))
    def payment_fee_display(self, order):
        return order.payment_fee_money.format()

    @admin.display(description=_("discount"))
    def discount_display(self, order):
        return order.discount_money.format()

    @admin.display(description=_("refunded"))
    def refunded_display(self, order):
        return order.refunded_money.format()

    @admin.display(description=_("refunds"))
    def refund_history(self, order):
        refunds = Refund.objects.filter(payment__order=order).select_related("actor").order_by("created_at", "id")
        if not refunds:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    timezone.localtime(refund.created_at).strftime("%Y-%m-%d %H:%M"),
                    _money(refund.amount, order.currency),
                    refund.get_status_display(),
                    refund.reason,
                    refund.actor or "—",
                    refund.stripe_refund or "—",
                )
                for refund in refunds
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("time"),
            _("amount"),
            _("status"),
            _("reason"),
            _("by"),
            _("Stripe refund"),
            rows,
        )

    # --- actions ---

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

    # Money moves only for the shop manager's role (shop.accounts.roles): customer support runs the other actions.
    def has_mark_paid_permission(self, request):
        return super().has_change_permission(request) and request.user.has_perm("payments.change_payment")

    def has_refund_permission(self, request):
        return super().has_change_permission(request) and request.user.has_perm("payments.add_refund")

    def personal_data_what(self, order):
        return f"{self.opts.verbose_name} {order.number}"

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

    @admin.action(description=_("Refund (one order)"), permissions=["refund"])
    def refund(self, request, queryset):
        orders = list(queryset[:2])
        if len(orders) != 1:
            self.message_user(request, gettext("Select exactly one order to refund."), messages.ERROR)
            return None
        return HttpResponseRedirect(reverse("admin:orders_order_refund", args=[orders[0].pk]))

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
        writer.writerows(_csv_rows(orders))
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

    # --- refund page ---

    def refund_view(self, request, object_id):
        if not self.has_refund_permission(request):
            raise PermissionDenied
        order = self.get_object(request, object_id)
        if order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        payment = self._refundable_payment(order)
        form = RefundForm(
            request.POST if request.method == "POST" else None,
            refundable=payment.refundable if payment else 0,
            currency=order.currency,
            initial={"amount": payment.refundable if payment else 0, "refunded_before": order.refunded_amount},
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    refunded_now = Order.objects.select_for_update().values_list("refunded_amount", flat=True)
                    if refunded_now.get(pk=order.pk) != data["refunded_before"]:
                        raise PaymentError(
                            gettext("This order was refunded meanwhile. Check the amounts below and try again.")
                        )
                    refund = services.refund_order(
                        order_id=order.pk, amount=data["amount"], actor=request.user, reason=data["reason"]
                    )
            except (PaymentError, OrderStateError) as error:
                form.add_error(None, str(error))
                order.refresh_from_db()
                payment = self._refundable_payment(order)
            else:
                self.message_user(
                    request,
                    gettext("%(number)s: %(amount)s refunded.")
                    % {"number": order.number, "amount": _money(refund.amount, order.currency)},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))
        return TemplateResponse(
            request,
            "admin/payments/order_refund.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": gettext("Refund order %(number)s") % {"number": order.number},
                "order": order,
                "payment": payment,
                "refundable": _money(payment.refundable if payment else 0, order.currency),
                "refunds": [
                    (refund, _money(refund.amount, order.currency))
                    for refund in Refund.objects.filter(payment__order=order)
                    .select_related("actor")
                    .order_by("created_at")
                ],
                "form": form,
            },
        )

    @staticmethod
    def _refundable_payment(order: Order) -> Payment | None:
        return Payment.objects.filter(order=order, status=Payment.Status.SUCCEEDED).first()


# --- Payments, refunds, settings, webhook events ------------------------------------------------------------------


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ("created_at", "amount", "status", "reason", "actor", "stripe_refund", "error_message")
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("payments.view_payment") or request.user.has_perm("payments.view_refund")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("order", "method", "status", "amount_display", "refunded_display", "card", "created_at")
    list_filter = ("method", "status")
    list_select_related = ("order",)
    search_fields = ("order__number", "order__email", "stripe_payment_intent", "stripe_charge")
    date_hierarchy = "created_at"
    inlines = (RefundInline,)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, payment):
        return payment.amount_money.format()

    @admin.display(description=_("refunded"), ordering="refunded_amount")
    def refunded_display(self, payment):
        return _money(payment.refunded_amount, payment.currency)

    @admin.display(description=_("card"))
    def card(self, payment):
        return f"{payment.card_brand} •••• {payment.card_last4}" if payment.card_last4 else "—"


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("order_number", "amount_display", "status", "method", "reason", "actor", "created_at")
    list_filter = ("status", "payment__method")
    list_select_related = ("payment__order", "actor")
    search_fields = ("payment__order__number", "stripe_refund", "reason")
    date_hierarchy = "created_at"

    @admin.display(description=_("order"), ordering="payment__order__number")
    def order_number(self, refund):
        return refund.payment.order.number

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, refund):
        return _money(refund.amount, refund.payment.currency)

    @admin.display(description=_("method"))
    def method(self, refund):
        return refund.payment.get_method_display()


@admin.register(PaymentSettings)
class PaymentSettingsAdmin(admin.ModelAdmin):
    """One row of settings: the list goes straight to it, and it can be neither added twice nor deleted."""

    fieldsets = (
        (_("Payment methods"), {"fields": ("card_enabled", "bank_transfer_enabled", "cod_enabled")}),
        (_("Cards"), {"fields": ("card_hold_minutes",)}),
        (
            _("Bank transfer"),
            {
                "fields": (
                    "bank_transfer_days",
                    "bank_name",
                    "bank_branch",
                    "bank_account_type",
                    "bank_account_number",
                    "bank_account_holder",
                )
            },
        ),
        (_("Cash on delivery"), {"fields": ("cod_fee", "cod_max_total")}),
    )

    def has_add_permission(self, request):
        return not PaymentSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        row = PaymentSettings.load()
        return HttpResponseRedirect(reverse("admin:payments_paymentsettings_change", args=[row.pk]))


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "type", "received_at", "processed_at", "result")
    list_filter = ("type",)
    search_fields = ("event_id", "type")
    date_hierarchy = "received_at"
    fields = ("event_id", "type", "received_at", "processed_at", "result", "payload_display")
    readonly_fields = ("payload_display",)

    @admin.display(description=_("payload"))
    def payload_display(self, event):
        return format_html("<pre>{}</pre>", json.dumps(event.payload, ensure_ascii=False, indent=2, sort_keys=True))
