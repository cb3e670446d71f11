import datetime

from django.core.management.base import BaseCommand, CommandError

from loyalty.services import coupons


class Command(BaseCommand):
    help = "Give this month's birthday coupon to members born this month (safe to run again: one per member a year)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Run as if today were this date (YYYY-MM-DD, Tokyo time).")

    def handle(self, *args, **options):
        today = None
        if options["date"]:
            try:
                today = datetime.date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(f"--date must be YYYY-MM-DD: {error}") from error
        issued = coupons.coupons_issue_birthday(today=today)
        self.stdout.write(f"Birthday coupons issued: {issued}")
