from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction

from shop.accounts.roles import sync_roles


class Command(BaseCommand):
    help = "Creates the staff role groups and sets their permissions (shop.accounts.roles). Safe to run again."

    def handle(self, *args, **options):
        with transaction.atomic():
            for app_config in apps.get_app_configs():
                create_permissions(app_config, verbosity=0)
            changes = sync_roles(group_model=Group, permission_model=Permission)
        for role, (added, removed) in changes.items():
            self.stdout.write(f"{role}: {added} permission(s) added, {removed} removed")
