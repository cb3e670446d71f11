from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecommendConfig(AppConfig):
    """Recommendations ("おすすめ") computed into a table by a task, with per-slot statistics."""

    name = "social.recommend"
    label = "recommend"
    verbose_name = _("Recommendations")

    def ready(self):
        from shop.accounts.privacy_selectors import personal_data_register

        from . import receivers  # noqa: F401
        from .personal_data import recommend_anonymise, recommend_export

        personal_data_register(name="recommendations", export=recommend_export, anonymise=recommend_anonymise)
