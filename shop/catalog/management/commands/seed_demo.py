import logging
import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import ProtectedError

from shop.catalog import demo_data


class Command(BaseCommand):
    help = "Fill the shop with demo categories, products, pictures, features and logins. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=demo_data.DEFAULT_PRODUCTS, help="How many products.")
        parser.add_argument(
            "--seed", type=int, default=demo_data.DEFAULT_SEED, help="Random seed (same data each run)."
        )
        parser.add_argument("--reset", action="store_true", help="Delete the demo products first, then seed again.")

    def handle(self, *args, products, seed, reset, **options):
        if products < 0:
            raise CommandError("--products must be 0 or more.")
        # Eager Celery logs a line per finished rendition task; hundreds of them would bury the progress bar.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        started = time.monotonic()
        try:
            result = demo_data.demo_data_seed(products=products, seed=seed, reset=reset, progress=self._progress)
        except ProtectedError as error:
            raise CommandError(f"Cannot reset: demo products are referenced by other rows ({error.args[0]})")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready in {time.monotonic() - started:.0f} s: {result.products_total} demo products "
                f"({result.products_created} new, {result.variants_created} new variants, "
                f"{result.images_created} new pictures), {result.categories} categories."
            )
        )
        self.stdout.write("Demo logins:")
        for login in result.logins:
            self.stdout.write(f"  {login.email} / {login.password}  ({login.role})")
        if result.staff_otp_url:
            self.stdout.write(
                "The staff login needs two-step verification: add this key to an authenticator app "
                f"(key {demo_data.DEMO_STAFF_TOTP_SECRET}):"
            )
            self.stdout.write(f"  {result.staff_otp_url}")
            self.stdout.write(f"  or use a backup code (each works once): {' '.join(result.staff_backup_codes)}")

    def _progress(self, done: int, total: int) -> None:
        interactive = self.stdout.isatty()
        # On a terminal the bar redraws in place; in a log it prints every tenth of the way.
        if not interactive and done != total and done % max(1, total // 10):
            return
        width = 30
        filled = width * done // total
        bar = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} products"
        self.stdout.write(("\r" if interactive else "") + bar, ending="\n" if done == total or not interactive else "")
        self.stdout.flush()
