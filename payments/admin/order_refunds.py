"""An order's refund page (from the order page's button or the "Refund" action) and its form."""

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shop.orders.exceptions import OrderStateError
from shop.orders.models import Order

from .. import services
from ..exceptions import PaymentError
from ..models import Payment, Refund
from .common import format_money, normalise_text

_WHOLE_YEN = re.compile(r"-?\d{1,12}")


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
        text = normalise_text(self.cleaned_data["amount"]).replace(",", "").removeprefix("¥").strip()
        if not _WHOLE_YEN.fullmatch(text):
            raise ValidationError(gettext("Enter the amount as a whole number of yen, e.g. 1980."))
        amount = int(text)
        if amount <= 0:
            raise ValidationError(gettext("Enter an amount of ¥1 or more."))
        if amount > self.refundable:
            raise ValidationError(
                gettext("At most %(max)s can be refunded.") % {"max": format_money(self.refundable, self.currency)}
            )
        return amount

    def clean_reason(self):
        return normalise_text(self.cleaned_data["reason"])


class OrderRefundMixin:
    """OrderAdmin's refund page with its URL, the order page's refund button and the action that leads to it;
    OrderAdmin holds has_refund_permission."""

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

    @admin.action(description=_("Refund (one order)"), permissions=["refund"])
    def refund(self, request, queryset):
        orders = list(queryset[:2])
        if len(orders) != 1:
            self.message_user(request, gettext("Select exactly one order to refund."), messages.ERROR)
            return None
        return HttpResponseRedirect(reverse("admin:orders_order_refund", args=[orders[0].pk]))

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
                    % {"number": order.number, "amount": format_money(refund.amount, order.currency)},
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
                "refundable": format_money(payment.refundable if payment else 0, order.currency),
                "refunds": [
                    (refund, format_money(refund.amount, order.currency))
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
