import sys

from django.core.management.base import BaseCommand, CommandError

from shop.accounts import otp
from shop.accounts.models import User


class Command(BaseCommand):
    help = (
        "Delete every two-factor device (authenticator and backup codes) of a user, e.g. after a lost phone. "
        "They then sign in with their password only; staff enrol again with otp_enrol_staff."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="E-mail address of the user.")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, email, yes, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with the e-mail address {email!r}.")
        if not yes:
            if not sys.stdin.isatty():
                raise CommandError("Not running in a terminal: pass --yes to confirm the reset.")
            answer = input(f"Delete every two-factor device of {user.email}? Type 'yes' to continue: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Cancelled: nothing was changed.")
        count = otp.two_factor_disable(user=user)
        self.stdout.write(self.style.SUCCESS(f"Deleted {count} two-factor device(s) of {user.email}."))
