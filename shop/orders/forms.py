from django import forms
from django.utils.translation import gettext_lazy as _

QUANTITY_ERRORS = {
    "required": _("Please enter a quantity."),
    "invalid": _("Please enter the quantity as a whole number."),
}


class AddToCartForm(forms.Form):
    variant = forms.IntegerField(
        min_value=1,
        error_messages={
            "required": _("Please choose a size or colour."),
            "invalid": _("Please choose a size or colour."),
        },
    )
    quantity = forms.IntegerField(initial=1, error_messages=QUANTITY_ERRORS)


class LineQuantityForm(forms.Form):
    quantity = forms.IntegerField(error_messages=QUANTITY_ERRORS)
