from django.core.management.base import BaseCommand

from loyalty.services import points


class Command(BaseCommand):
    help = "Expire points past their expiry date, then e-mail members whose points expire soon (the two beat jobs)."

    def add_arguments(self, parser):
        parser.add_argument("--no-notices", action="store_true", help="Only expire; send no expiry notices.")

    def handle(self, *args, **options):
        expired = points.points_expire()
        notices = 0 if options["no_notices"] else points.points_expiry_notices_due()
        self.stdout.write(f"Points expiry entries written: {expired}; expiry notices sent: {notices}")
