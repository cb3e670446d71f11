from django.core.management.base import BaseCommand, CommandError

from shop.dashboard.integrations import FAILED, integrations_check


class Command(BaseCommand):
    help = "Check that the database, Redis, Stripe, LINE, e-mail, a Celery worker and beat are reachable."

    def handle(self, *args, **options):
        checks = integrations_check()
        width = max(len(check.name) for check in checks)
        status_width = max(len(check.status) for check in checks)
        self.stdout.write(f"{'service':<{width}}  {'status':<{status_width}}  detail")
        for check in checks:
            line = f"{check.name:<{width}}  {check.status:<{status_width}}  {check.detail}"
            self.stdout.write(self.style.ERROR(line) if check.status == FAILED else line)
        failed = [check.name for check in checks if check.status == FAILED]
        if failed:
            raise CommandError(f"Not reachable or misconfigured: {', '.join(failed)}")
