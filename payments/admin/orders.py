"""The order admin: the order list, its search, and the read-only order page with lines, payments and timeline.

The order admin is registered here and not in shop.orders: its page shows payments and refunds, and its actions
take and give back money, which is this layer's job. shop.orders sits below payments and may not import it
(DESIGN.md, dependency direction), while payments may use every order service.
"""

import re

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shop.core.admin_audit import PersonalDataAuditMixin
from shop.orders.models import Order, OrderEvent, OrderLine

from ..models import Payment, Refund
from .common import OrderRecordInline, format_money, normalise_text
from .filters import CreatedDateRangeFilter, FlaggedListFilter, PaidDateRangeFilter
from .order_actions import OrderActionsMixin
from .order_refunds import OrderRefundMixin

_PHONE_LIKE = re.compile(r"[0-9\s()\-‐‑‒–—―−ー]+")


class OrderLineInline(OrderRecordInline):
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


class PaymentInline(OrderRecordInline):
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
        return format_money(payment.refunded_amount, payment.currency)

    @admin.display(description=_("card"))
    def card(self, payment):
        return f"{payment.card_brand} •••• {payment.card_last4}" if payment.card_last4 else "—"


class OrderEventInline(OrderRecordInline):
    model = OrderEvent
    fields = ("created_at", "status", "event", "actor_label", "is_public")
    readonly_fields = fields
    verbose_name_plural = _("timeline")

    @admin.display(description=_("message"))
    def event(self, entry):
        # Services store English message ids (gettext_noop), shown here in the staff member's language.
        return gettext(entry.message)


@admin.register(Order)
class OrderAdmin(PersonalDataAuditMixin, OrderActionsMixin, OrderRefundMixin, admin.ModelAdmin):
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

    # Money moves only for the shop manager's role (shop.accounts.roles): customer support runs the other actions.
    def has_mark_paid_permission(self, request):
        return super().has_change_permission(request) and request.user.has_perm("payments.change_payment")

    def has_refund_permission(self, request):
        return super().has_change_permission(request) and request.user.has_perm("payments.add_refund")

    def personal_data_what(self, order):
        return f"{self.opts.verbose_name} {order.number}"

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # Phones are stored as digits only; staff paste "090-1234-5678" or full-width digits.
        text = normalise_text(search_term)
        if _PHONE_LIKE.fullmatch(text):
            digits = "".join(ch for ch in text if ch.isdigit())
            if len(digits) >= 4 and digits != search_term:
                results |= queryset.filter(ship_phone__contains=digits)
        return results, may_have_duplicates

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
                    format_money(refund.amount, order.currency),
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
