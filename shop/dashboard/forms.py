import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Incident
from .selectors.common import MAX_RANGE_DAYS, DateRange

DEFAULT_DAYS = 30


class DateRangeForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise ValidationError(gettext("The start date is after the end date."))
            if (end - start).days + 1 > MAX_RANGE_DAYS:
                raise ValidationError(gettext("Choose a range of at most %(days)s days.") % {"days": MAX_RANGE_DAYS})
        return data


def period_from_query(query, *, today: datetime.date) -> tuple[DateRange, list[str]]:
    """The range in ?from=&to= (both days included), or the last 30 days with the reasons when it is not valid."""
    default = DateRange.last_days(DEFAULT_DAYS, today=today)
    if not query.get("from") and not query.get("to"):
        return default, []
    form = DateRangeForm({"start": query.get("from", ""), "end": query.get("to", "")})
    if form.is_valid():
        return DateRange(form.cleaned_data["start"], form.cleaned_data["end"]), []
    errors = [str(message) for messages in form.errors.values() for message in messages]
    return default, errors


class _IncidentForm(forms.ModelForm):
    class Meta:
        model = Incident
        fields = (
            "title",
            "discovered_at",
            "description",
            "severity",
            "status",
            "affected_customers",
            "customer_notice",
            "ppc_reported_at",
            *(f"{prefix}_note" for prefix, _label in Incident.STEPS),
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for prefix, _label in Incident.STEPS:
            self.fields[f"{prefix}_done"].initial = bool(getattr(self.instance, f"{prefix}_done_at", None))

    def steps_done(self) -> dict[str, bool]:
        return {prefix: self.cleaned_data.get(f"{prefix}_done", False) for prefix, _label in Incident.STEPS}


# The six steps as tick boxes ("<step>_done"): ticking one records when and by whom (services.incident_steps_update).
IncidentForm = type(
    "IncidentForm",
    (_IncidentForm,),
    {f"{prefix}_done": forms.BooleanField(label=_("done"), required=False) for prefix, _label in Incident.STEPS},
)
