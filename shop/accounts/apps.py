from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "shop.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.core.signals import request_started
        from django.db.models.signals import post_migrate

        from . import privacy_receivers, receivers, signin_receivers  # noqa: F401

        post_migrate.connect(_sync_staff_roles, dispatch_uid="accounts_sync_staff_roles")
        request_started.connect(_forget_member_read_with_session, dispatch_uid="accounts_forget_session_member")


def _forget_member_read_with_session(**kwargs):
    """A request starts with no member read with a session (shop.accounts.sessions): one read for an earlier
    request on this thread is never handed to get_user."""
    from .backends import user_read_with_session

    user_read_with_session(None, None)


def _sync_staff_roles(sender, using="default", **kwargs):
    """After every migrate, the staff roles also cover models that apps added since the roles migration ran.

    post_migrate is sent once per app, in INSTALLED_APPS order, and each app's permissions are created on its own
    signal: so the roles are synced on the last app's, when every permission exists."""
    from django.apps import apps as installed
    from django.contrib.auth.models import Group, Permission

    from .roles import sync_roles

    if sender.label == list(installed.get_app_configs())[-1].label:
        sync_roles(group_model=Group, permission_model=Permission)
