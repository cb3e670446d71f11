from django.core.management.base import BaseCommand

from loyalty.services.catch_up import loyalty_catch_up


class Command(BaseCommand):
    help = "Apply points and coupon changes of recent orders whose task was never queued (also a beat job)."

    def handle(self, *args, **options):
        done = loyalty_catch_up()
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in done.items()))
