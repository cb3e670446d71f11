from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "shop.support"
    label = "support"
    verbose_name = _("Support")

    def ready(self):
        from . import receivers  # noqa: F401
