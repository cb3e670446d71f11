import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from shop.dashboard.services import calendar_prefill


class Command(BaseCommand):
    help = "Adds the yearly Japanese retail events (Valentine's Day, Mother's Day, Black Friday, ...) to the calendar."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="A calendar year; default: the next twelve months.")

    def handle(self, *args, year=None, **options):
        if year is not None:
            if not 2000 <= year <= 2100:
                raise CommandError("Give a year between 2000 and 2100.")
            start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        else:
            start = timezone.localdate()
            end = start + datetime.timedelta(days=364)
        added = calendar_prefill(start=start, end=end)
        self.stdout.write(f"{added} events added ({start} to {end}).")
