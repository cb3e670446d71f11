from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RewardsConfig(AppConfig):
    """Share-tiered rewards: campaigns whose tiers pay sharers for the distinct buyers their links bring."""

    name = "social.rewards"
    label = "share_rewards"
    verbose_name = _("Share rewards")

    def ready(self):
        from . import receivers  # noqa: F401
