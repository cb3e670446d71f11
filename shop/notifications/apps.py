from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "shop.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from shop.accounts.privacy_selectors import personal_data_register

        from . import receivers, services

        receivers.connect()
        personal_data_register(
            name="notifications",
            export=services.personal_data_export,
            anonymise=services.personal_data_anonymise,
        )
