"""Pre-fills the calendar with the yearly Japanese retail events of the next twelve months (from the day it runs).

The dates are computed (Mother's Day is the second Sunday of May, Black Friday follows the fourth Thursday of
November); `manage.py dashboard_calendar_prefill` adds later years.
"""

from django.db import migrations
from django.utils import timezone

from shop.dashboard.calendar_presets import presets_coming_year


def prefill(apps, schema_editor):
    CalendarEvent = apps.get_model("dashboard", "CalendarEvent")
    presets = presets_coming_year(timezone.localdate())
    existing = set(CalendarEvent.objects.values_list("preset_key", flat=True))
    CalendarEvent.objects.bulk_create(
        [
            CalendarEvent(
                title=preset.title,
                kind=preset.kind,
                starts_on=preset.starts_on,
                ends_on=preset.ends_on,
                notes=preset.notes,
                preset_key=preset.key,
            )
            for preset in presets
            if preset.key not in existing
        ]
    )


def remove(apps, schema_editor):
    apps.get_model("dashboard", "CalendarEvent").objects.exclude(preset_key="").delete()


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0001_initial")]

    operations = [migrations.RunPython(prefill, remove)]
