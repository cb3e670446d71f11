from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "shop.orders"
    label = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from shop.accounts.backends import user_extra_register

        from . import personal_data, receivers  # noqa: F401
        from .selectors import member_cart_units

        personal_data.register()
        user_extra_register("cart_units", member_cart_units)
