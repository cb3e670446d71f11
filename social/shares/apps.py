from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharesConfig(AppConfig):
    """Share links, clicks and order attribution: a part of the social layer with its own tables."""

    name = "social.shares"
    label = "shares"
    verbose_name = _("Shares")

    def ready(self):
        from . import receivers  # noqa: F401
