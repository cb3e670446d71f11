"""{% recommend_block "home" %}: a placeholder that htmx fills with the "おすすめ" block when it scrolls into
view. It runs no query, so the page keeps its query budget; the block has its own (see views.block)."""

from urllib.parse import urlencode

from django import template
from django.utils.html import format_html

from shop.core.links import reverse_cached

register = template.Library()


@register.simple_tag
def recommend_block(slot, product=None):
    params = {}
    if product is not None:
        params = {"p": product.pk, "c": product.category_id}
    url = reverse_cached("recommend:block", slot=slot)
    return format_html(
        '<section class="recommend" data-slot="{}" hx-get="{}" hx-trigger="revealed" hx-swap="outerHTML"></section>\n',
        slot,
        f"{url}?{urlencode(params)}" if params else url,
    )
