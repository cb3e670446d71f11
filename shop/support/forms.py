from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MESSAGE_MAX_LENGTH, Inquiry, ReplyTemplate


def _message_field(label) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": MESSAGE_MAX_LENGTH}),
        error_messages={
            "required": _("Please write your message."),
            "max_length": _("Please keep your message within %(limit_value)d characters."),
        },
    )


class InquiryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, error_messages={"required": _("Please enter your name.")})
    email = forms.EmailField(
        label=_("E-mail address"),
        error_messages={
            "required": _("Please enter your e-mail address so that we can answer."),
            "invalid": _("Please enter a valid e-mail address."),
        },
    )
    category = forms.ChoiceField(label=_("What is it about?"), choices=Inquiry.Category.choices)
    subject = forms.CharField(
        label=_("Subject"),
        max_length=150,
        error_messages={
            "required": _("Please enter a subject."),
            "max_length": _("Please keep the subject within %(limit_value)d characters."),
        },
    )
    body = _message_field(_("Message"))


class CustomerReplyForm(forms.Form):
    body = _message_field(_("Your reply"))


class InquiryAdminForm(forms.ModelForm):
    """The inquiry's own fields plus a reply box: saving with text in it sends the reply to the customer."""

    reply_template = forms.ModelChoiceField(
        label=_("Reply template"),
        queryset=ReplyTemplate.objects.all(),
        required=False,
        help_text=_("Used when the reply box is left empty; {name} and {order_number} are filled in."),
    )
    reply = forms.CharField(
        label=_("Reply to the customer"),
        required=False,
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text=_("Sent on the channel the customer used (e-mail or LINE) when you save."),
    )

    class Meta:
        model = Inquiry
        fields = ("status", "category", "assignee")
