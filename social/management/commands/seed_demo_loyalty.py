from django.core.management.base import BaseCommand

from social.demo_loyalty import demo_loyalty_seed


class Command(BaseCommand):
    help = "Demo coupons, a share campaign with tiers, and points for the demo shopper. Safe to run again."

    def handle(self, *args, **options):
        result = demo_loyalty_seed()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo loyalty ready: coupons {', '.join(result.coupons)}; share campaign “{result.campaign}”; "
                f"{result.shopper_points} points for the demo shopper."
            )
        )
