from django.core.management.base import BaseCommand

from social import digest


class Command(BaseCommand):
    help = (
        "Send each member a digest of the likes, comments and new followers of the last 24 hours (nothing to those "
        "with nothing new; once a day: the same job beat runs at 19:00 JST)."
    )

    def handle(self, *args, **options):
        count = digest.social_digests_send()
        self.stdout.write(f"Digests written: {count}")
