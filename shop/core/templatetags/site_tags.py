"""The header, footer and cookie banner of every page (base.html), rendered in Python.

Every page shows them, and as template markup they cost about as much as a listing's 24 product cards: some twenty
{% url %} and thirty {% translate %} nodes. Their URLs and labels depend only on the language (and the script
prefix), so they are looked up once per language and process (`_labels`); a request only fills in what is its own:
the search words, who is signed in, the cart count, the categories, the CSRF token and the current path.
"""

from dataclasses import dataclass
from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext, override
from django.utils.translation import gettext as _

from shop.core.html import csrf_input

register = template.Library()


@dataclass(frozen=True)
class _Labels:
    """The header's and footer's fixed HTML parts for one language, escaped."""

    header_start: str
    header_after_q: str
    signed_in: str
    signed_in_after_token: str
    signed_out: str
    cart_start: str
    categories_start: str
    footer_start: str
    footer_end: str
    languages: tuple[tuple[str, str], ...]
    banner_start: str
    banner_end: str


@lru_cache(maxsize=32)
def _labels(language: str, script_prefix: str) -> _Labels:
    with override(language):
        u = lambda name, *args: escape(reverse(name, args=args))  # noqa: E731
        shop_name = escape(settings.SHOP_NAME)
        # Plain calls, not inside the f-strings below: xgettext (makemessages) does not look into f-strings.
        text = {
            "search_products": escape(_("Search products")),
            "search_placeholder": escape(_("Search brands, items, keywords")),
            "search": escape(_("Search")),
            "account": escape(_("Account")),
            "your_account": escape(_("Your account")),
            "orders": escape(_("Orders")),
            "sign_out": escape(_("Sign out")),
            "sign_in": escape(_("Sign in")),
            "cart": escape(_("Cart")),
            "categories": escape(_("Categories")),
            "all_items": escape(_("All items")),
            "feed": escape(_("Feed")),
            "help": escape(_("Help")),
            "faq": escape(_("FAQ")),
            "contact_us": escape(_("Contact us")),
            "loyalty_rules": escape(_("Points, ranks and coupons")),
            "prize_draws": escape(_("Prize draws")),
            "legal_information": escape(_("Legal information")),
            "privacy_policy": escape(_("Privacy policy")),
            "terms_of_use": escape(_("Terms of use")),
            "legal_notice": escape(_("Legal notice (Specified Commercial Transactions Act)")),
            "shipping_information": escape(_("Shipping information")),
            "returns_and_refunds": escape(_("Returns and refunds")),
            "tax_note": escape(_("Prices include consumption tax.")),
            "cookies": escape(_("Cookies")),
            "cookie_question": escape(
                _(
                    "We would like to use analytics cookies to learn how the shop is used and improve it. Cookies the "
                    "shop needs to work (sign-in, cart) are always used."
                )
            ),
            "accept": escape(_("Accept")),
            "decline": escape(_("Decline")),
        }
        return _Labels(
            header_start=(
                '<header class="site-header">\n  <div class="bar">\n'
                f'    <a class="logo" href="{u("catalog:home")}">{shop_name}</a>\n'
                f'    <form class="search" action="{u("catalog:search")}" method="get" role="search">\n'
                f'      <label class="visually-hidden" for="site-search">{text["search_products"]}</label>\n'
                '      <input id="site-search" type="search" name="q" value="'
            ),
            header_after_q=(
                f'" placeholder="{text["search_placeholder"]}" maxlength="100">\n'
                f'      <button type="submit">{text["search"]}</button>\n    </form>\n'
                f'    <nav class="tools" aria-label="{text["account"]}">\n'
            ),
            signed_in=(
                f'      <a href="{u("accounts:profile")}">{text["your_account"]}</a>\n'
                f'      <a href="{u("orders:order_list")}">{text["orders"]}</a>\n'
                f'      <form action="{u("account_logout")}" method="post" class="inline">'
            ),
            signed_in_after_token=f'<button class="link" type="submit">{text["sign_out"]}</button></form>\n',
            signed_out=f'      <a href="{u("account_login")}">{text["sign_in"]}</a>\n',
            cart_start=f'      <a class="cart-link" href="{u("orders:cart")}">{text["cart"]} ',
            categories_start=(
                f'  <nav class="categories" aria-label="{text["categories"]}">\n'
                f'    <a href="{u("catalog:product_list")}">{text["all_items"]}</a>\n'
                f'    <a href="{u("social:feed")}">{text["feed"]}</a>\n    '
            ),
            footer_start=f'<footer class="site-footer">\n  <form action="{u("set_language")}" method="post" class="lang">',
            footer_end=(
                "  </form>\n"
                f'  <nav class="legal-links" aria-label="{text["help"]}">\n'
                f'    <a href="{u("support:faq")}">{text["faq"]}</a>\n'
                f'    <a href="{u("support:contact")}">{text["contact_us"]}</a>\n'
                f'    <a href="{u("loyalty:rules")}">{text["loyalty_rules"]}</a>\n'
                f'    <a href="{u("draws:list")}">{text["prize_draws"]}</a>\n'
                "  </nav>\n"
                f'  <nav class="legal-links" aria-label="{text["legal_information"]}">\n'
                f'    <a href="{u("legal:page", "privacy")}">{text["privacy_policy"]}</a>\n'
                f'    <a href="{u("legal:page", "terms")}">{text["terms_of_use"]}</a>\n'
                f'    <a href="{u("legal:page", "tokushoho")}">'
                f"{text['legal_notice']}</a>\n"
                f'    <a href="{u("legal:page", "shipping")}">{text["shipping_information"]}</a>\n'
                f'    <a href="{u("legal:page", "returns")}">{text["returns_and_refunds"]}</a>\n'
                "  </nav>\n"
                f"  <p>{text['tax_note']} © {shop_name}</p>\n</footer>"
            ),
            languages=tuple((code, "日本語" if code == "ja" else "English") for code, _ in settings.LANGUAGES),
            banner_start=(
                f'<aside class="cookie-banner" aria-label="{text["cookies"]}">\n'
                f"  <p>{text['cookie_question']}\n"
                f'    <a href="{u("legal:page", "privacy")}">{text["privacy_policy"]}</a></p>\n'
                f'  <form method="post" action="{u("legal:cookie_choice")}" class="inline">'
            ),
            banner_end=(
                f'    <button type="submit" name="choice" value="accept">{text["accept"]}</button>\n'
                f'    <button type="submit" name="choice" value="decline">{text["decline"]}</button>\n'
                "  </form>\n</aside>"
            ),
        )


def _labels_now() -> _Labels:
    return _labels(get_language() or settings.LANGUAGE_CODE, get_script_prefix())


def _csrf_input(context) -> str:
    return csrf_input(context.get("csrf_token"))


@register.simple_tag(takes_context=True)
def site_header(context):
    """The site header: search, account links, cart badge and the top-level categories."""
    labels = _labels_now()
    request = context["request"]
    user = context.get("user")
    query = request.GET.get("q", "") if request.GET else ""
    parts = [labels.header_start, escape(query), labels.header_after_q]
    if user is not None and user.is_authenticated:
        parts += [labels.signed_in, _csrf_input(context), labels.signed_in_after_token]
    else:
        parts.append(labels.signed_out)
    parts += [labels.cart_start, cart_badge(context.get("cart_count", 0)), "</a>\n    </nav>\n  </div>\n"]
    parts.append(labels.categories_start)
    nodes = context.get("nav_categories") or ()
    categories = tuple(
        (node.category, node.category.slug, node.category.name) for node in (nodes() if callable(nodes) else nodes)
    )
    parts.append(_category_links(categories, get_urlconf(), get_script_prefix()))
    parts.append("\n  </nav>\n</header>")
    return mark_safe("".join(parts))  # noqa: S308 - fixed markup and escaped values


@lru_cache(maxsize=64)
def _category_links(categories: tuple, urlconf, script_prefix: str) -> str:
    """The header's links to the top-level categories, (category, slug, name) each, made once per process for the
    same categories: every page shows them. A category's URL is a function of its slug (Category.get_absolute_url)
    and of the URLconf and script prefix, all in the key, as is the name."""
    return "".join(
        f'<a href="{escape(category.get_absolute_url())}">{escape(name)}</a>' for category, _slug, name in categories
    )


@register.simple_tag
def cart_badge(count, oob: bool = False):
    """The cart count in the header; `oob` when an htmx response swaps it in after the cart changed."""
    count = int((count() if callable(count) else count) or 0)
    return _cart_badge(count, bool(oob), get_language())


@lru_cache(maxsize=256)
def _cart_badge(count: int, oob: bool, language: str | None) -> str:
    """The badge for a count, made once per language (ngettext was most of its cost, on every page)."""
    label = escape(ngettext("%(n)s item in cart", "%(n)s items in cart", count) % {"n": count})
    swap = 'hx-swap-oob="true"' if oob else ""
    return mark_safe(f'<span id="cart-badge" class="badge" {swap} aria-label="{label}">{count}</span>')  # noqa: S308


@register.simple_tag(takes_context=True)
def site_footer(context):
    """The site footer: the language switch (back to this page) and the help and legal links."""
    labels = _labels_now()
    current = get_language()
    parts = [
        labels.footer_start,
        _csrf_input(context),
        f'\n    <input name="next" type="hidden" value="{escape(context["request"].get_full_path())}">\n',
    ]
    for code, name in labels.languages:
        state = ' aria-current="true" disabled' if code == current else ""
        parts.append(f'      <button type="submit" name="language" value="{code}"{state}>{name}</button>\n')
    parts.append(labels.footer_end)
    return mark_safe("".join(parts))  # noqa: S308 - fixed markup and escaped values


@register.simple_tag(takes_context=True)
def cookie_banner(context):
    """The analytics-cookie question until the visitor answers it (`show_cookie_banner`, a lazy flag from
    shop.accounts.context_processors.privacy): every first visit shows it."""
    if not context.get("show_cookie_banner"):
        return ""
    labels = _labels_now()
    next_input = f'\n    <input type="hidden" name="next" value="{escape(context["request"].get_full_path())}">\n'
    return mark_safe(labels.banner_start + _csrf_input(context) + next_input + labels.banner_end)  # noqa: S308
