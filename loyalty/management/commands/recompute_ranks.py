from django.core.management.base import BaseCommand

from loyalty.services import ranks


class Command(BaseCommand):
    help = "Recompute every member's rank from their spend over the rank period and record the changes."

    def handle(self, *args, **options):
        changes = ranks.ranks_recompute_all()
        self.stdout.write(f"Rank changes recorded: {changes}")
