from django.core.management.base import BaseCommand

from shop.notifications import services


class Command(BaseCommand):
    help = (
        "Deliver notifications left in the outbox: pending (their task was lost, e.g. Redis was down), held for "
        "quiet hours, failed and due for a retry, or stuck in 'sending'. The same job as the beat task sweep_outbox."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500, help="most rows per round (default 500)")
        parser.add_argument("--once", action="store_true", help="one round only, even if more rows are due")

    def handle(self, *args, limit, once, **options):
        totals: dict[str, int] = {}
        while True:
            counts = services.notifications_sweep(limit=limit)
            for status, count in counts.items():
                totals[status] = totals.get(status, 0) + count
            # Rows that failed again are not due until their backoff passes, so the loop ends; rows other workers
            # hold ("locked") are theirs, so a round of only those ends it too.
            if once or sum(counts.values()) < limit or not counts.keys() - {"locked", "sending"}:
                break
        summary = ", ".join(f"{status}: {count}" for status, count in sorted(totals.items())) or "nothing due"
        self.stdout.write(summary)
