from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DrawsConfig(AppConfig):
    """Prize draws: staff set a prize and an entry rule, members enter once, winners come from a recorded seed."""

    name = "social.draws"
    label = "draws"
    verbose_name = _("Prize draws")
