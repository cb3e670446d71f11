from django import template

from shop.accounts import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def line_login_enabled(context) -> bool:
    """{% line_login_enabled as line_login %}: the LINE button is shown only when a LINE channel is configured."""
    return selectors.line_login_configured(request=context.get("request"))
