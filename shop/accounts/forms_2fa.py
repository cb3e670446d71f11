"""Forms of the security page: codes from an authenticator app or a backup code, and turning two-factor off."""

from django import forms
from django.utils.translation import gettext_lazy as _


class CodeField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Code"))
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("strip", True)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "off"}),
        )
        kwargs.setdefault("error_messages", {"required": _("Enter the code.")})
        super().__init__(**kwargs)


class TotpConfirmForm(forms.Form):
    """The first code from the app, which proves the QR code was scanned correctly."""

    token = CodeField(
        label=_("6-digit code from the app"),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9０-９ ]*"}
        ),
    )


class VerifyForm(forms.Form):
    token = CodeField(
        label=_("Code"),
        help_text=_("The 6-digit code from your authenticator app, or one of your backup codes."),
    )


class DisableForm(forms.Form):
    secret = forms.CharField(
        label=_("Password or code"),
        help_text=_("Your password, a 6-digit code from your app or a backup code."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your password or a code.")},
    )
