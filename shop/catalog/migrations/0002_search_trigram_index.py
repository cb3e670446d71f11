from django.db import migrations

from shop.core.migration_ops import PostgresOnlySQL


class Migration(migrations.Migration):
    """Free-text search is a substring match on Product.search_text (Japanese has no spaces between words, so
    word-based full-text search misses most queries). On PostgreSQL a trigram GIN index makes LIKE '%…%' fast."""

    dependencies = [("catalog", "0001_initial")]

    operations = [
        PostgresOnlySQL(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm;"
            "CREATE INDEX IF NOT EXISTS catalog_product_search_trgm "
            "ON catalog_product USING gin (search_text gin_trgm_ops);",
            "DROP INDEX IF EXISTS catalog_product_search_trgm;",
        ),
    ]
