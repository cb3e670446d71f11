from django.core.management.base import BaseCommand

from social.recommend.services import recommendations_rebuild


class Command(BaseCommand):
    help = (
        "Recomputes every recommendation list (bought together, for you, popular per category and overall) into "
        "the table the pages read, and updates the attributed orders of the slot statistics."
    )

    def handle(self, *args, **options):
        result = recommendations_rebuild()
        self.stdout.write(
            f"rows={result.rows} product_lists={result.product_lists} personal_lists={result.personal_lists} "
            f"category_lists={result.category_lists} took={result.seconds:.2f}s"
        )
