"""{% recommend_block "home" %}: a placeholder that htmx fills with the "おすすめ" block when it scrolls into
view. It runs no query, so the page keeps its query budget; the block has its own (see views.block)."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

register = template.Library()


@register.inclusion_tag("recommend/_placeholder.html")
def recommend_block(slot, product=None):
    params = {}
    if product is not None:
        params = {"p": product.pk, "c": product.category_id}
    url = reverse("recommend:block", kwargs={"slot": slot})
    return {"url": f"{url}?{urlencode(params)}" if params else url, "slot": slot}
