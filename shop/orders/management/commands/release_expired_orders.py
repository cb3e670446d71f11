from django.core.management.base import BaseCommand

from shop.orders import services


class Command(BaseCommand):
    help = "Cancel unpaid orders whose stock reservation ran out and put their stock back."

    def handle(self, *args, **options):
        released = services.order_release_expired_reservations()
        self.stdout.write(f"Expired orders released: {released}")
