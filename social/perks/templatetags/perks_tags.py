"""Badges and the "how to qualify" box of members-only sales, from the cached rules (no query for guests)."""

from django import template
from django.utils import timezone
from django.utils.html import format_html

from .. import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def perk_rules(context):
    """The cached rules, read once per request however many cards use them."""
    request = context.get("request")
    rules = getattr(request, "_perk_rules", None) if request is not None else None
    if rules is None:
        rules = selectors.rules_for_pages()
        if request is not None:
            request._perk_rules = rules
    return rules


@register.simple_tag(takes_context=True)
def perk_badges(context, *product_lists):
    """{product id: badge HTML} for catalog_tags.product_cards (only the products that have a badge)."""
    rules = perk_rules(context)
    if not rules:
        return {}
    now = timezone.now()
    badges = {}
    for products in product_lists:
        for product in products or ():
            badge = selectors.product_badge(product=product, rules=rules, now=now)
            if badge:
                badges[product.pk] = format_html('<span class="tag perk">{}</span>', badge)
    return badges


@register.simple_tag(takes_context=True)
def product_access(context, product):
    request = context["request"]
    return selectors.product_access(product=product, user=request.user, rules=perk_rules(context))
