"""Creates the staff role groups (shop.accounts.roles) with their permissions.

Permissions are normally created after all migrations ran (post_migrate); on a fresh database they do not exist
yet, so they are created here first. The migrations of the apps the roles cover come first so their permissions
exist too. Later models join the roles with `manage.py sync_staff_roles`.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from shop.accounts.roles import ROLES, sync_roles


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_roles(group_model=apps.get_model("auth", "Group"), permission_model=apps.get_model("auth", "Permission"))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_legalpage_user_age_band_user_anonymised_at_and_more"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("catalog", "0002_search_trigram_index"),
        ("orders", "0003_default_shipping_methods"),
        ("payments", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
