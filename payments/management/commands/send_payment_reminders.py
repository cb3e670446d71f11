from django.core.management.base import BaseCommand

from payments import reminders


class Command(BaseCommand):
    help = (
        "Remind shoppers whose bank transfer is due within two days and has not arrived (once per order; the same "
        "job beat runs daily at 10:00 JST)."
    )

    def handle(self, *args, **options):
        count = reminders.bank_transfer_reminders_send()
        self.stdout.write(f"Reminders written: {count}")
