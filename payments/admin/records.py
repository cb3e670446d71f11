"""Payments, refunds and Stripe webhook events: written only by the services, so staff look and never edit."""

import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from shop.core.admin_readonly import ReadOnlyAdmin

from ..models import Payment, Refund, WebhookEvent
from .common import OrderRecordInline, format_money


class RefundInline(OrderRecordInline):
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
        return format_money(payment.refunded_amount, payment.currency)

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
        return format_money(refund.amount, refund.payment.currency)

    @admin.display(description=_("method"))
    def method(self, refund):
        return refund.payment.get_method_display()


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
