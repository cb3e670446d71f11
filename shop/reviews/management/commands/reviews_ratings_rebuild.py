from django.core.management.base import BaseCommand

from shop.reviews import services


class Command(BaseCommand):
    help = "Count every product's published reviews again into the stars shown on cards and product pages."

    def handle(self, *args, **options):
        count = services.product_ratings_rebuild()
        self.stdout.write(f"Products with published reviews: {count}")
