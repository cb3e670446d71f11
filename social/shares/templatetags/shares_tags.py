"""{% share_buttons product %}: LINE, X, Facebook, copy link and the share sheet, with the sharer's codes.

The markup is made in Python (`share_block`), its one home: the product page, a post's page and every card of the
feed (social.templatetags.feed_tags, ten to forty a page) show it.
"""

from urllib.parse import quote

from django import template
from django.templatetags.static import static
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext as _

from shop.core.links import absolute_url, reverse_cached

from .. import services
from ..models import ShareLink

register = template.Library()


def channel_hrefs(urls: dict[str, str], title: str) -> dict[str, str]:
    """The share links of each channel for the given URLs ({channel: url}) and title (also used by feed_tags)."""
    return {
        "title": title,
        "copy_url": urls["copy"],
        "native_url": urls["native"],
        "line_href": "https://social-plugins.line.me/lineit/share?url=" + quote(urls["line"], safe=""),
        "x_href": f"https://twitter.com/intent/tweet?url={quote(urls['x'], safe='')}&text={quote(title, safe='')}",
        "facebook_href": "https://www.facebook.com/sharer/sharer.php?u=" + quote(urls["facebook"], safe=""),
    }


def share_labels() -> dict:
    """The block's texts, escaped, and its script's URL (a page with many blocks makes them once)."""
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
    return {key: conditional_escape(label) for key, label in labels.items()} | {"js": static("shares/share.js")}


def share_block(hrefs: dict[str, str], labels: dict | None = None) -> str:
    """The share block for channel_hrefs(...): a link per channel, copy and share-sheet buttons (shown by share.js),
    and the link to copy by hand."""
    return format_html(
        '<section class="share" data-share aria-label="{share}">\n'
        '  <ul class="share-buttons">\n'
        '    <li><a class="button share-line" href="{line_href}" target="_blank" rel="noopener noreferrer">'
        "{line}</a></li>\n"
        '    <li><a class="button share-x" href="{x_href}" target="_blank" rel="noopener noreferrer">{x}</a></li>\n'
        '    <li><a class="button share-facebook" href="{facebook_href}" target="_blank" '
        'rel="noopener noreferrer">{facebook}</a></li>\n'
        '    <li><button type="button" class="share-copy" data-share-copy data-url="{copy_url}" '
        'data-done="{copied}" data-failed="{copy_failed}" hidden>{copy}</button></li>\n'
        '    <li><button type="button" class="share-native" data-share-native data-url="{native_url}" '
        'data-title="{title}" hidden>{native}</button></li>\n'
        "  </ul>\n"
        '  <label class="share-link">{link} <input type="text" readonly value="{copy_url}" data-share-input>'
        "</label>\n"
        '  <p class="share-status" data-share-status aria-live="polite"></p>\n'
        "</section>\n"
        '<script src="{js}" defer></script>\n',
        **hrefs,
        **(labels or share_labels()),
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
        for channel in ShareLink.Channel.values
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
    urls = dict.fromkeys(ShareLink.Channel.values, page_url)
    if request.user.is_authenticated and (product is not None or post_id is not None):
        if not codes or set(codes) != set(ShareLink.Channel.values):
            if product is not None:
                codes = services.product_share_codes_ensure(sharer=request.user, product_id=product.pk)
            else:
                links = services.share_links_ensure(sharer=request.user, post_id=post_id)
                codes = {channel: link.code for channel, link in links.items()}
        urls = {
            channel: absolute_url(request, reverse_cached("shares:open", code=code)) for channel, code in codes.items()
        }
    return share_block(channel_hrefs(urls, title))
