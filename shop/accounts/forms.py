from django import forms
from django.core.files.base import ContentFile
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from shop.core.jp import PREFECTURE_CHOICES, normalize_phone, normalize_postal_code
from shop.core.uploads import UserImageField

from .models import User

BLANK_CHOICE = [("", "---")]


class ProfileForm(forms.Form):
    """The shopper's own profile. Everything but the display name is optional and says what it is used for."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=50,
        required=False,
        help_text=_("Shown with your reviews and posts instead of your e-mail address."),
    )
    avatar = UserImageField(
        label=_("Profile picture"),
        required=False,
        help_text=_("JPEG, PNG or WebP, up to 10 MB. Location data (GPS) in the photo is removed."),
    )
    birth_month = forms.TypedChoiceField(
        label=_("Birthday month"),
        choices=BLANK_CHOICE + [(str(number), name) for number, name in MONTHS.items()],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Used only to send you a birthday-month coupon and greeting; you may leave it blank."),
    )
    gender = forms.ChoiceField(
        label=_("Gender"),
        choices=BLANK_CHOICE + User.Gender.choices,
        required=False,
        help_text=_("Used only for recommendations and for sizes that suit you; you may leave it blank."),
    )
    age_band = forms.ChoiceField(
        label=_("Age band"),
        choices=BLANK_CHOICE + User.AgeBand.choices,
        required=False,
        help_text=_("Used only for recommendations and for anonymous statistics; you may leave it blank."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["display_name"].widget.attrs.update(autocomplete="nickname")

    def avatar_change(self) -> ContentFile | bool | None:
        """A new picture (already re-encoded), False to remove the current one, None to keep it."""
        value = self.cleaned_data.get("avatar")
        if value is False or isinstance(value, ContentFile):
            return value
        return None


class JapaneseAddressForm(forms.Form):
    """A Japanese delivery address: the one set of fields, autofill hints and checks for every address form
    (saved addresses here, checkout in payments)."""

    name = forms.CharField(label=_("Full name"), max_length=100)
    postal_code = forms.CharField(label=_("Postal code"), max_length=10, help_text=_("e.g. 150-0001"))
    prefecture = forms.ChoiceField(label=_("Prefecture"), choices=BLANK_CHOICE + PREFECTURE_CHOICES)
    city = forms.CharField(label=_("City / ward"), max_length=100)
    street = forms.CharField(label=_("Street address"), max_length=200)
    building = forms.CharField(label=_("Building, room"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, help_text=_("e.g. 090-1234-5678"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs.update(autocomplete="name")
        self.fields["postal_code"].widget.attrs.update(autocomplete="postal-code", inputmode="numeric")
        self.fields["prefecture"].widget.attrs.update(autocomplete="address-level1")
        self.fields["city"].widget.attrs.update(autocomplete="address-level2")
        self.fields["street"].widget.attrs.update(autocomplete="address-line1")
        self.fields["building"].widget.attrs.update(autocomplete="address-line2")
        self.fields["phone"].widget.attrs.update(autocomplete="tel", inputmode="tel")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Please enter the recipient's name."))
        return name

    def clean_postal_code(self):
        return normalize_postal_code(self.cleaned_data["postal_code"])

    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])


class AddressForm(JapaneseAddressForm):
    is_default = forms.BooleanField(label=_("Use as my default address"), required=False)
