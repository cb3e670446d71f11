from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Unsubscribe


class PreferencesForm(forms.Form):
    """The account page's grid: one checkbox per kind group and channel, plus the marketing consent."""

    marketing_consent = forms.BooleanField(
        label=_("Send me sales, new arrivals and coupons (by the channels ticked below)"), required=False
    )

    def __init__(self, *args, grid, **kwargs):
        super().__init__(*args, **kwargs)
        self.grid = grid
        for row in grid:
            for cell in row.cells:
                self.fields[cell.name] = forms.BooleanField(
                    label=f"{row.group.label} – {cell.channel_label}",
                    required=False,
                    initial=cell.enabled,
                    disabled=cell.locked,
                )

    def choices(self) -> dict[tuple[str, str], bool]:
        result = {}
        for row in self.grid:
            for cell in row.cells:
                if not cell.locked:
                    result[(row.group.code, cell.channel)] = self.cleaned_data.get(cell.name, False)
        return result


class UnsubscribeForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why are you unsubscribing? (optional)"),
        choices=Unsubscribe.Reason.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    comment = forms.CharField(
        label=_("Anything else you would like to tell us? (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        required=False,
    )
