from django.core.management.base import BaseCommand

from social import services


class Command(BaseCommand):
    help = "Publish scheduled feed posts whose time has come (the same job beat runs every minute)."

    def handle(self, *args, **options):
        count = services.posts_publish_due()
        self.stdout.write(f"Published {count} post(s).")
