from django.db import migrations

DEFAULTS = [
    {"code": "standard", "name": "宅配便（通常配送）", "description": "ヤマト運輸・佐川急便でお届けします。",
     "fee": 600, "free_over": 5000, "days_min": 2, "days_max": 4, "position": 1},
    {"code": "express", "name": "お急ぎ便", "description": "最短翌日にお届けします。",
     "fee": 1100, "free_over": None, "days_min": 1, "days_max": 2, "position": 2},
]  # fmt: skip


def create(apps, schema_editor):
    ShippingMethod = apps.get_model("orders", "ShippingMethod")
    for row in DEFAULTS:
        ShippingMethod.objects.get_or_create(code=row["code"], defaults=row)


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_shippingmethod_order_orderevent_orderline_and_more")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
