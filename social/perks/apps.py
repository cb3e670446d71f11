from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerksConfig(AppConfig):
    """Members-only sales and early access: who may buy which products from when."""

    name = "social.perks"
    label = "perks"
    verbose_name = _("Members-only sales and early access")

    def ready(self):
        from shop.orders.hooks import register_purchase_check

        from . import receivers  # noqa: F401
        from .selectors import RULES_ACTIVE_SQL, purchase_check

        # The cart and the checkout live in a lower layer that cannot import this app: they run this check
        # through shop.orders.hooks, so the rules hold for any request, not only on the product page.
        register_purchase_check(purchase_check, needed_sql=RULES_ACTIVE_SQL)
