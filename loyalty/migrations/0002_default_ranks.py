"""The shop's starting ranks and its loyalty settings row. Names and benefits are shown to members as stored
(Japanese first); staff rename them in admin."""

from django.db import migrations

DEFAULTS = [
    {"code": "regular", "name": "レギュラー", "min_spend": 0, "earn_multiplier_percent": 100,
     "free_shipping": False, "description": "ポイント等倍"},
    {"code": "silver", "name": "シルバー", "min_spend": 30_000, "earn_multiplier_percent": 120,
     "free_shipping": False, "description": "ポイント1.2倍"},
    {"code": "gold", "name": "ゴールド", "min_spend": 80_000, "earn_multiplier_percent": 150,
     "free_shipping": True, "description": "ポイント1.5倍・送料無料"},
    {"code": "platinum", "name": "プラチナ", "min_spend": 200_000, "earn_multiplier_percent": 200,
     "free_shipping": True, "description": "ポイント2倍・送料無料"},
]


def create_defaults(apps, schema_editor):
    Rank = apps.get_model("loyalty", "Rank")
    LoyaltySettings = apps.get_model("loyalty", "LoyaltySettings")
    for row in DEFAULTS:
        Rank.objects.get_or_create(code=row["code"], defaults=row)
    LoyaltySettings.objects.get_or_create(pk=1)


def remove_defaults(apps, schema_editor):
    apps.get_model("loyalty", "Rank").objects.filter(code__in=[row["code"] for row in DEFAULTS]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("loyalty", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_defaults, remove_defaults),
    ]
