from django.core.management.base import BaseCommand

from loyalty.services import lifecycle


class Command(BaseCommand):
    help = (
        "Send the lifecycle messages that are due: follow-ups after delivery, first-order anniversaries and "
        "scheduled event invitations (each once; what beat runs every 15 minutes)."
    )

    def handle(self, *args, **options):
        counts = lifecycle.lifecycle_send_due()
        self.stdout.write(
            "Follow-ups: {follow_ups}, anniversaries: {anniversaries}, invitation messages: {invitations}".format(
                **counts
            )
        )
