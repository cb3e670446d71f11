"""Filters of the order list: order date and payment date ranges (Tokyo days), and orders that need attention."""

import datetime

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class CreatedDateRangeFilter(admin.ListFilter):
    """Orders placed from one date to another (both days included, Tokyo time): ?created__gte=&created__lte=."""

    title = _("order date")
    template = "admin/payments/date_range_filter.html"
    parameter_from = "created__gte"
    parameter_to = "created__lte"
    field = "created_at"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.raw = {}
        self.dates: dict[str, datetime.date] = {}
        self.errors = []
        field = forms.DateField()
        for name in self.expected_parameters():
            if name not in params:
                continue
            value = params.pop(name)[-1].strip()
            self.used_parameters[name] = value
            self.raw[name] = value
            if not value:
                continue
            try:
                self.dates[name] = field.clean(value)
            except ValidationError:
                # A mistyped date narrows nothing; the filter says so instead of failing the whole list.
                self.errors.append(gettext("“%(value)s” is not a date (e.g. 2025-04-01).") % {"value": value})

    def has_output(self):
        return True

    def expected_parameters(self):
        return [self.parameter_from, self.parameter_to]

    def queryset(self, request, queryset):
        start = self.dates.get(self.parameter_from)
        end = self.dates.get(self.parameter_to)
        if start:
            queryset = queryset.filter(**{f"{self.field}__gte": _start_of_day(start)})
        if end:
            queryset = queryset.filter(**{f"{self.field}__lt": _start_of_day(end + datetime.timedelta(days=1))})
        return queryset

    def choices(self, changelist):
        expected = self.expected_parameters()
        yield {
            "from_name": self.parameter_from,
            "to_name": self.parameter_to,
            "from_value": self.raw.get(self.parameter_from, ""),
            "to_value": self.raw.get(self.parameter_to, ""),
            # The rest of the list's query (search, other filters) goes along with the dates.
            "hidden": [
                (name, value)
                for name, values in changelist.filter_params.items()
                if name not in expected
                for value in values
            ],
            "active": bool(self.dates),
            "clear_url": changelist.get_query_string(remove=expected),
            "errors": self.errors,
        }


class PaidDateRangeFilter(CreatedDateRangeFilter):
    """Orders paid from one date to another (the dashboard's sales figures link here): ?paid__gte=&paid__lte=."""

    title = _("payment date")
    parameter_from = "paid__gte"
    parameter_to = "paid__lte"
    field = "paid_at"


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class FlaggedListFilter(admin.SimpleListFilter):
    title = _("needs attention")
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return (("yes", _("Yes")), ("no", _("No")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(flagged_reason="")
        if self.value() == "no":
            return queryset.filter(flagged_reason="")
        return queryset
