"""{% share_buttons product %}: LINE, X, Facebook, copy link and the share sheet, with the sharer's codes."""

from urllib.parse import quote

from django import template

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


@register.inclusion_tag("shares/_post_buttons.html", takes_context=True)
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
    return {**channel_hrefs(urls, title), "post_id": post.pk}


@register.inclusion_tag("shares/_buttons.html", takes_context=True)
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
    return channel_hrefs(urls, title)
