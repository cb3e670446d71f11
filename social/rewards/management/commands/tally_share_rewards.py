from django.core.management.base import BaseCommand

from social.rewards.services import share_rewards_tally


class Command(BaseCommand):
    help = (
        "Tallies share campaigns: records attributed orders not yet counted, applies refunds, creates rewards for "
        "tiers reached and confirms those whose return window has passed. Running it twice changes nothing."
    )

    def handle(self, *args, **options):
        counts = share_rewards_tally()
        self.stdout.write(" ".join(f"{key}={value}" for key, value in sorted(counts.items())) or "nothing to do")
