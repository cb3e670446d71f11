"""Fill the review figures now stored on each product (catalog 0006) from the published reviews, as
services.product_rating_refresh counts them."""

from django.db import migrations
from django.db.models import Count


def fill(apps, schema_editor):
    Review = apps.get_model("reviews", "Review")
    Product = apps.get_model("catalog", "Product")
    per_product = {}
    rows = Review.objects.filter(status="published").order_by().values_list("product_id", "rating")
    for product_id, rating, n in rows.annotate(n=Count("id")):
        per_product.setdefault(product_id, {})[rating] = n
    for product_id, per_rating in per_product.items():
        count = sum(per_rating.values())
        Product.objects.filter(pk=product_id).update(
            review_count=count,
            rating_average=round(sum(r * n for r, n in per_rating.items()) / count, 1),
            rating_counts=[per_rating.get(star, 0) for star in range(1, 6)],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_product_review_figures"),
        ("reviews", "0002_review_held_reason"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
