from django.core.management.base import BaseCommand

from social.shares.services import attribution_tally


class Command(BaseCommand):
    help = "Decides share attributions still open: confirms paid orders, reverses fully refunded ones."

    def handle(self, *args, **options):
        counts = attribution_tally()
        self.stdout.write(" ".join(f"{key}={value}" for key, value in counts.items()))
