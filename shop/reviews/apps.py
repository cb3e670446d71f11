from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "shop.reviews"
    label = "reviews"
    verbose_name = _("Reviews")

    def ready(self):
        from shop.catalog.selectors import product_page_columns_register

        from . import receivers  # noqa: F401
        from .selectors import product_page_review_columns

        product_page_columns_register(product_page_review_columns)
