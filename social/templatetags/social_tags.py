from django import template
from django.conf import settings
from django.utils.translation import gettext as _

from social import selectors

register = template.Library()


@register.filter
def author_name(post) -> str:
    """The name shown for a post's author: the shop for staff posts, else the display name; never the e-mail."""
    if post.is_staff_post:
        return settings.SHOP_NAME
    return person_name(post.author)


@register.filter
def person_name(user) -> str:
    return (user.display_name or "").strip() or _("Member %(id)s") % {"id": user.pk}


@register.simple_tag(takes_context=True)
def product_viewer(context, product):
    """{% product_viewer product as viewer %}: the viewer's marks, followed people's activity, share codes and own
    review for the product page, in one query (none for visitors); the tags below take it."""
    return selectors.product_viewer(viewer=context["request"].user, product_id=product.pk)


def product_social(context, product, viewer):
    """On the product page (jinja_templates/social/_product_social.html): want/own buttons and what people the
    viewer follows said (reviews first)."""
    request = context["request"]
    return {
        "request": request,
        "user": request.user,
        "csrf_token": context.get("csrf_token"),
        "product_id": product.pk,
        "marks": viewer.marks,
        "activity": viewer.activity,
        "next": request.get_full_path(),
    }
