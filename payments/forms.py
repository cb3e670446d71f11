import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _

from shop.accounts.forms import JapaneseAddressForm
from shop.orders.models import Order, ShippingMethod


class CheckoutForm(JapaneseAddressForm):
    """Contact, Japanese shipping address, shipping method and payment method, on one page."""

    email = forms.EmailField(label=_("Email"), max_length=254)
    shipping_method = forms.ModelChoiceField(
        label=_("Shipping method"), queryset=ShippingMethod.objects.none(), widget=forms.RadioSelect, empty_label=None
    )
    payment_method = forms.ChoiceField(
        label=_("Payment method"), choices=Order.PaymentMethod.choices, widget=forms.RadioSelect
    )
    save_address = forms.BooleanField(label=_("Save this address for next time"), required=False, initial=True)

    def __init__(self, *args, payment_codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shipping_method"].queryset = ShippingMethod.objects.filter(is_active=True)
        if payment_codes:
            self.fields["payment_method"].choices = [c for c in Order.PaymentMethod.choices if c[0] in payment_codes]
        self.fields["email"].widget.attrs.update(autocomplete="email")


class SwitchMethodForm(forms.Form):
    payment_method = forms.ChoiceField(
        choices=[
            (Order.PaymentMethod.BANK_TRANSFER, Order.PaymentMethod.BANK_TRANSFER.label),
            (Order.PaymentMethod.COD, Order.PaymentMethod.COD.label),
        ]
    )


class DiscountForm(forms.Form):
    coupon_code = forms.CharField(label=_("Coupon code"), max_length=40, required=False)
    points = forms.IntegerField(
        label=_("Points to use"),
        required=False,
        min_value=0,
        max_value=10_000_000,
        error_messages={
            "invalid": _("Please enter the points as a whole number."),
            "min_value": _("Please enter 0 or more points."),
            "max_value": _("You do not have that many points."),
        },
    )

    def clean_coupon_code(self):
        return unicodedata.normalize("NFKC", self.cleaned_data["coupon_code"]).strip().upper()
