import io

import qrcode
from django.core.management.base import BaseCommand, CommandError

from shop.accounts import otp
from shop.accounts.models import User


class Command(BaseCommand):
    help = (
        "Give a staff user a confirmed authenticator (TOTP) device and 10 backup codes, so they can open the admin "
        "(for the first admin). Prints the otpauth:// URL, a QR code for the terminal and the backup codes."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="E-mail address of the staff user.")
        parser.add_argument(
            "--replace", action="store_true", help="Replace a device the user already has (the old one stops working)."
        )

    def handle(self, *args, email, replace, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with the e-mail address {email!r}.")
        if not user.is_staff:
            raise CommandError(
                f"{user.email} is not staff: shoppers turn on two-step verification on /account/security/."
            )
        if otp.totp_device_get(user=user) is not None and not replace:
            raise CommandError(f"{user.email} already has an authenticator device. Use --replace, or otp_reset first.")
        device = otp.totp_device_create_confirmed(user=user)
        codes = otp.backup_codes_regenerate(user=user)
        qr = qrcode.QRCode(border=1)
        qr.add_data(device.config_url)
        drawing = io.StringIO()
        qr.print_ascii(out=drawing, invert=True)
        self.stdout.write(f"Authenticator for {user.email}: scan the QR code or open this URL on the phone:")
        self.stdout.write(device.config_url)
        self.stdout.write(drawing.getvalue())
        self.stdout.write(f"Key (to type in by hand): {otp.totp_secret(device=device)}")
        self.stdout.write("Backup codes (each works once; keep them somewhere safe):")
        for code in codes:
            self.stdout.write(f"  {code}")
        self.stdout.write(self.style.SUCCESS(f"{user.email} can now sign in to /admin/ with a code from the app."))
