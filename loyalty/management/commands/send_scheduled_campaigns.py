from django.core.management.base import BaseCommand

from loyalty.services import campaigns


class Command(BaseCommand):
    help = "Send the campaigns whose scheduled time has come (and finish any a stopped worker left half sent)."

    def handle(self, *args, **options):
        recorded = campaigns.campaigns_send_due()
        self.stdout.write(f"Campaign messages recorded: {recorded}")
