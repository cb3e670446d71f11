from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Consent


class ConsentChangeForm(forms.Form):
    purpose = forms.ChoiceField(choices=Consent.Purpose.choices)
    granted = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1")


class CookieChoiceForm(forms.Form):
    choice = forms.ChoiceField(choices=[("accept", "accept"), ("decline", "decline")])
    next = forms.CharField(required=False, max_length=500)


class PolicyAcceptForm(forms.Form):
    agree = forms.BooleanField(
        label=_("I have read the updated documents and accept them."),
        error_messages={"required": _("Please tick the box to accept the updated documents.")},
    )
    next = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)


class CorrectionRequestForm(forms.Form):
    details = forms.CharField(
        label=_("What should be corrected?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Tell us which information is wrong and what it should be. Staff will reply by e-mail."),
    )


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account and personal data will be deleted and this cannot be undone."),
        error_messages={"required": _("Please confirm that you want to delete your account.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.has_usable_password():
            # Accounts made with LINE Login have no password: typing the e-mail address confirms instead.
            self.fields["password"] = forms.CharField(
                label=_("Your e-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "off"})
            )

    def clean_password(self):
        value = self.cleaned_data["password"]
        if self.user.has_usable_password():
            if not self.user.check_password(value):
                raise forms.ValidationError(_("The password is not correct."))
        elif value.strip().lower() != self.user.email.lower():
            raise forms.ValidationError(_("The e-mail address does not match your account."))
        return value
