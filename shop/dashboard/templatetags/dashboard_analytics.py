"""The Google tag (F68): only when ANALYTICS_TAG_ID is set, only for visitors who accepted analytics cookies
(`analytics_allowed` from shop.accounts.context_processors.privacy), never on admin pages."""

from django import template
from django.conf import settings

from shop.core.links import reverse_cached

register = template.Library()

GTAG_ORIGIN = "https://www.googletagmanager.com"
GTAG_URL = f"{GTAG_ORIGIN}/gtag/js"


@register.inclusion_tag("dashboard/_analytics_script.html", takes_context=True)
def analytics_tag(context):
    tag_id = getattr(settings, "ANALYTICS_TAG_ID", "")
    if not tag_id:
        return {"tag_id": "", "gtag_url": GTAG_URL}
    request = context.get("request")
    in_admin = request is not None and request.path.startswith(reverse_cached("admin:index"))
    allowed = not in_admin and bool(context.get("analytics_allowed"))
    return {"tag_id": tag_id if allowed else "", "gtag_url": GTAG_URL}
