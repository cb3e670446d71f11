from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "shop.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from functools import partial

        from django.core.signals import request_finished, request_started

        from . import csrf_strings
        from .links import url_state_reset

        csrf_strings.install()
        request_started.connect(partial(url_state_reset, in_request=True), weak=False, dispatch_uid="core_url_state")
        request_finished.connect(partial(url_state_reset, in_request=False), weak=False, dispatch_uid="core_url_state")
