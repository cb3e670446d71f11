from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialConfig(AppConfig):
    name = "social"
    label = "social"
    verbose_name = _("Social")

    def ready(self):
        from shop.catalog.selectors import product_page_viewer_columns_register

        from . import receivers, receivers_loyalty  # noqa: F401
        from .selectors import product_page_viewer_columns

        product_page_viewer_columns_register(product_page_viewer_columns)
