from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialConfig(AppConfig):
    name = "social"
    label = "social"
    verbose_name = _("Social")

    def ready(self):
        from . import receivers, receivers_loyalty  # noqa: F401
