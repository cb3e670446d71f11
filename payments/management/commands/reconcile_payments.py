from django.core.management.base import BaseCommand

from payments import services


class Command(BaseCommand):
    help = "Ask Stripe about card payments still open (a lost webhook must not leave a paid order waiting)."

    def handle(self, *args, **options):
        changed = services.payments_reconcile()
        self.stdout.write(f"Payments changed: {changed}")
