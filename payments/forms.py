from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shop.core.jp import PREFECTURE_CHOICES, normalize_phone, normalize_postal_code
from shop.orders.models import Order, ShippingMethod


class CheckoutForm(forms.Form):
    """Contact, Japanese shipping address, shipping method and payment method, on one page."""

    email = forms.EmailField(label=_("Email"), max_length=254)
    name = forms.CharField(label=_("Full name"), max_length=100)
    postal_code = forms.CharField(label=_("Postal code"), max_length=10, help_text=_("e.g. 150-0001"))
    prefecture = forms.ChoiceField(label=_("Prefecture"), choices=[("", "---")] + PREFECTURE_CHOICES)
    city = forms.CharField(label=_("City / ward"), max_length=100)
    street = forms.CharField(label=_("Street address"), max_length=200)
    building = forms.CharField(label=_("Building, room"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, help_text=_("e.g. 090-1234-5678"))
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
        self.fields["name"].widget.attrs.update(autocomplete="name")
        self.fields["postal_code"].widget.attrs.update(autocomplete="postal-code", inputmode="numeric")
        self.fields["prefecture"].widget.attrs.update(autocomplete="address-level1")
        self.fields["city"].widget.attrs.update(autocomplete="address-level2")
        self.fields["street"].widget.attrs.update(autocomplete="address-line1")
        self.fields["building"].widget.attrs.update(autocomplete="address-line2")
        self.fields["phone"].widget.attrs.update(autocomplete="tel", inputmode="tel")

    def clean_postal_code(self):
        return normalize_postal_code(self.cleaned_data["postal_code"])

    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Please enter the recipient's name."))
        return name


class SwitchMethodForm(forms.Form):
    payment_method = forms.ChoiceField(
        choices=[
            (Order.PaymentMethod.BANK_TRANSFER, Order.PaymentMethod.BANK_TRANSFER.label),
            (Order.PaymentMethod.COD, Order.PaymentMethod.COD.label),
        ]
    )
