from django.core.management.base import BaseCommand

from payments import emails


class Command(BaseCommand):
    help = (
        "Write the order confirmations that are due but missing (an on-commit signal or task was lost, e.g. while "
        "Redis was down) to the notifications outbox. The same job beat runs every 5 minutes."
    )

    def handle(self, *args, **options):
        count = emails.order_confirmations_catch_up()
        self.stdout.write(f"Confirmations written: {count}")
