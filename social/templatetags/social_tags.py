import functools
from urllib.parse import quote

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from shop.core.html import csrf_input
from shop.core.links import reverse_cached
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
    return selectors.product_viewer(viewer=context["request"].user, product=product)


def product_social(context, product, viewer) -> str:
    """On the product page: want/own buttons (a sign-in link for a visitor) and what people the viewer follows said
    about the product, reviews first (jinja_templates/social/_followed_said.html, when they said anything)."""
    request = context["request"]
    next_path = request.get_full_path()
    if request.user.is_authenticated:
        top = mark_buttons(
            product_id=product.pk, marks=viewer.marks, csrf_token=context["csrf_token"], next_path=next_path
        )
    else:
        login = escape(f"{reverse_cached('account_login')}?next={quote(next_path, safe='/')}")
        top = f'<p class="mark-signin"><a href="{login}">{_mark_texts(get_language())["signin"]}</a></p>'
    said = render_to_string("social/_followed_said.html", {"activity": viewer.activity}) if viewer.activity else ""
    return mark_safe(f'<section class="product-social">\n  {top}\n  {said}</section>')  # noqa: S308 - escaped


def mark_buttons(*, product_id: int, marks, csrf_token, next_path: str) -> str:
    """The want/own buttons of a product, each a form that sets or clears the mark (social.views.mark, whose htmx
    answer they are too). Made in Python, their one home: the product page shows them to every member."""
    texts = _mark_texts(get_language())
    url = escape(reverse_cached("social:mark"))
    fields = f'{csrf_input(csrf_token)}\n    <input type="hidden" name="product" value="{product_id}">'
    forms = []
    for kind in ("want", "own"):
        on = kind in marks
        # A pressed button clears the mark; the other sets it (on=1).
        button = texts[f"{kind}_on"] if on else '<input type="hidden" name="on" value="1">' + texts[f"{kind}_off"]
        forms.append(
            f'  <form action="{url}" method="post" hx-post="{url}" hx-target="#mark-{product_id}" hx-swap="outerHTML">'
            f'{fields}<input type="hidden" name="kind" value="{kind}">'
            f'<input type="hidden" name="next" value="{escape(next_path)}">\n    '
            f"{button}\n  </form>\n"
        )
    return mark_safe(f'<div class="mark-buttons" id="mark-{product_id}">\n{"".join(forms)}</div>')  # noqa: S308


@functools.lru_cache(maxsize=16)
def _mark_texts(language: str | None) -> dict:
    """The buttons' markup and the sign-in text in the language (escaped; looked up once per language)."""
    want, own = escape(_("Want it")), escape(_("Own it"))
    signin = _("Sign in to save it as “want it” or “own it”.")
    return {
        "want_on": f'<button type="submit" class="mark on" aria-pressed="true">★ {want}</button>',
        "want_off": f'<button type="submit" class="mark" aria-pressed="false">☆ {want}</button>',
        "own_on": f'<button type="submit" class="mark on" aria-pressed="true">✓ {own}</button>',
        "own_off": f'<button type="submit" class="mark" aria-pressed="false">＋ {own}</button>',
        "signin": escape(signin),
    }
