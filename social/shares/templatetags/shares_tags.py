"""{% share_buttons product %}: LINE, X, Facebook, copy link and the share sheet, with the sharer's codes.

The markup is made in Python (`share_block`), its one home: the product page, a post's page and every card of the
feed (social.templatetags.feed_tags, ten to forty a page) show it.
"""

import functools
from html import escape as html_escape
from urllib.parse import quote

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from shop.core.links import absolute_url, reverse_cached

from .. import services
from ..models import SHARE_CHANNELS

register = template.Library()


def channel_hrefs(urls: dict[str, str], title: str) -> dict[str, str]:
    """The share links of each channel for the given URLs ({channel: url}) and title (also used by feed_tags)."""
    return {
        "title": title,
        "copy_url": urls["copy"],
        "native_url": urls["native"],
        "line_href": "https://social-plugins.line.me/lineit/share?url=" + quoted(urls["line"]),
        "x_href": f"https://twitter.com/intent/tweet?url={quoted(urls['x'])}&text={quoted(title)}",
        "facebook_href": "https://www.facebook.com/sharer/sharer.php?u=" + quoted(urls["facebook"]),
    }


# urllib's quote(text, safe=""): every character but ASCII letters, digits and "_.-~" as %XX of its UTF-8 bytes.
_QUOTED_ASCII = {code: f"%{code:02X}" for code in range(128) if not (chr(code).isalnum() or chr(code) in "_.-~")}


def quoted(text: str) -> str:
    """quote(text, safe=""), an ASCII text (a share URL) by one str.translate instead of urllib's loop over its
    bytes in Python: a product page quotes four, a feed page a hundred and sixty."""
    return text.translate(_QUOTED_ASCII) if text.isascii() else quote(text, safe="")


def share_labels() -> dict:
    """The block's texts, escaped, and its script's URL, in the current language (looked up once per language)."""
    return _share_labels(get_language(), settings.STATIC_URL)


@functools.lru_cache(maxsize=16)
def _share_labels(language: str | None, static_url: str) -> dict:
    labels = {
        "share": _("Share"),
        "line": _("Send on LINE"),
        "x": _("Post on X"),
        "facebook": _("Share on Facebook"),
        "copied": _("Link copied."),
        "copy_failed": _("Could not copy: select the link below and copy it."),
        "copy": _("Copy link"),
        "native": _("Share…"),
        "link": _("Link to share"),
    }
    # static_url is part of the key only: a changed STATIC_URL gets new entries.
    return {key: escape(label) for key, label in labels.items()} | {"js": escape(static("shares/share.js"))}


def share_block(hrefs: dict[str, str], labels: dict | None = None) -> str:
    """The share block for channel_hrefs(...): a link per channel, copy and share-sheet buttons (shown by share.js),
    and the link to copy by hand. Built as one f-string of escaped values (a feed page has up to forty)."""
    t = labels or share_labels()
    h = {key: html_escape(value) for key, value in hrefs.items()}  # Django's escape, without its lazy wrapper
    return mark_safe(  # noqa: S308 - fixed markup and escaped values
        f'<section class="share" data-share aria-label="{t["share"]}">\n'
        '  <ul class="share-buttons">\n'
        f'    <li><a class="button share-line" href="{h["line_href"]}" target="_blank" rel="noopener noreferrer">'
        f"{t['line']}</a></li>\n"
        f'    <li><a class="button share-x" href="{h["x_href"]}" target="_blank" rel="noopener noreferrer">'
        f"{t['x']}</a></li>\n"
        f'    <li><a class="button share-facebook" href="{h["facebook_href"]}" target="_blank" '
        f'rel="noopener noreferrer">{t["facebook"]}</a></li>\n'
        f'    <li><button type="button" class="share-copy" data-share-copy data-url="{h["copy_url"]}" '
        f'data-done="{t["copied"]}" data-failed="{t["copy_failed"]}" hidden>{t["copy"]}</button></li>\n'
        f'    <li><button type="button" class="share-native" data-share-native data-url="{h["native_url"]}" '
        f'data-title="{h["title"]}" hidden>{t["native"]}</button></li>\n'
        "  </ul>\n"
        f'  <label class="share-link">{t["link"]} <input type="text" readonly value="{h["copy_url"]}" '
        "data-share-input></label>\n"
        '  <p class="share-status" data-share-status aria-live="polite"></p>\n'
        "</section>\n"
        f'<script src="{t["js"]}" defer></script>\n'
    )


def post_share_block(hrefs: dict[str, str], labels: dict | None = None) -> str:
    """A post's share block, folded under "Share"."""
    labels = labels or share_labels()
    return format_html(
        '<details class="post-share"><summary>{}</summary>{}</details>\n', labels["share"], share_block(hrefs, labels)
    )


@register.simple_tag(takes_context=True)
def post_share_buttons(context, post):
    """A post card's share buttons from the codes the view loaded for the whole page (`post_share_codes`): no query.

    Pages that did not load them (or anonymous visitors) share the plain post URL.
    """
    request = context["request"]
    page_url = absolute_url(request, post.get_absolute_url())
    codes = (context.get("post_share_codes") or {}).get(post.pk, {})
    urls = {
        channel: absolute_url(request, reverse_cached("shares:open", code=codes[channel]))
        if channel in codes
        else page_url
        for channel in SHARE_CHANNELS
    }
    title = (post.body or "").strip().replace("\n", " ")[:60]
    return post_share_block(channel_hrefs(urls, title))


@register.simple_tag(takes_context=True)
def share_buttons(context, product=None, *, post_id=None, url="", title="", codes=None):
    """The sharer's codes are `codes` ({channel: code}, as the product page's viewer query loaded them) when they
    cover every channel, else read (and the missing links made) here."""
    request = context["request"]
    page_url = absolute_url(request, url or (product.get_absolute_url() if product is not None else ""))
    title = title or (product.name if product is not None else "")
    urls = dict.fromkeys(SHARE_CHANNELS, page_url)
    if request.user.is_authenticated and (product is not None or post_id is not None):
        if not codes or set(codes) != set(SHARE_CHANNELS):
            if product is not None:
                codes = services.product_share_codes_ensure(sharer=request.user, product_id=product.pk)
            else:
                links = services.share_links_ensure(sharer=request.user, post_id=post_id)
                codes = {channel: link.code for channel, link in links.items()}
        urls = {
            channel: absolute_url(request, reverse_cached("shares:open", code=code)) for channel, code in codes.items()
        }
    return share_block(channel_hrefs(urls, title))
