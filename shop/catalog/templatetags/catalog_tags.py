import functools
import json
from html import escape as _html_escape

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shop.core import links
from shop.core.jsonrows import instances
from shop.core.money import tax_included_label

from ..models import ProductImage

register = template.Library()


def escape(value) -> str:
    """django.utils.html.escape without the SafeString and lazy-string wrapping (same output)."""
    return _html_escape(str(value))


DEFAULT_SIZES = "(max-width: 640px) 50vw, (max-width: 1024px) 33vw, 280px"


@register.simple_tag
def product_img(image, sizes: str = DEFAULT_SIZES, css_class: str = "", eager: bool = False, media_url=None):
    """<img> with a WebP srcset from the image's renditions; the original until the renditions exist."""
    if not image:
        return mark_safe(_img_html(None, sizes=sizes, css_class=css_class))  # noqa: S308 - escaped in _img_html
    webp = image.renditions.get("webp", {}) if image.renditions_ready else {}
    return mark_safe(  # noqa: S308 - escaped in _img_html
        _img_html(
            webp,
            src=links.media_url(image.image.name),
            alt=image.alt or image.product.name,
            width=image.width,
            height=image.height,
            sizes=sizes,
            css_class=css_class,
            eager=eager,
            media_url=media_url,
        )
    )


def _card_img_html(data, *, product_name: str, media_url) -> str:
    """product_img's markup for a card, from the card query's `card_image_data` row (its JSON text, a dict, or None),
    without building a model instance per card."""
    if isinstance(data, str):
        return _card_img_html_of_text(data, product_name, media_url)
    if not data:
        return _img_html(None)
    renditions = data.get("renditions") or {}
    if isinstance(renditions, str):  # SQLite's json_object() nests a JSON column as text
        renditions = json.loads(renditions)
    ready = renditions.get("source") == data["image"]  # ProductImage.renditions_ready
    return _img_html(
        renditions.get("webp", {}) if ready else {},
        src=media_url(data["image"]),
        alt=data.get("alt") or product_name,
        width=data.get("width"),
        height=data.get("height"),
        media_url=media_url,
    )


@functools.lru_cache(maxsize=4096)
def _card_img_html_of_text(data: str, product_name: str, media_url) -> str:
    """The markup of a card image's JSON text, remembered: it depends on nothing else, and a listing shows the same
    cards again and again (24 a page: decoding and building them was a quarter of the cards' CPU)."""
    return _card_img_html(json.loads(data), product_name=product_name, media_url=media_url)


def _img_html(
    webp, *, src="", alt="", width=None, height=None, sizes=DEFAULT_SIZES, css_class="", eager=False, media_url=None
) -> str:
    """The one home of the product <img> markup (None: the placeholder). Plain strings with html.escape, which is
    what format_html does per value, at a fraction of the cost: a listing builds 24 of these."""
    if webp is None:
        return f'<div class="img-placeholder {escape(css_class)}" aria-hidden="true"></div>'
    common = (
        f'alt="{escape(alt)}" width="{escape(width or "")}" height="{escape(height or "")}" '
        f'loading="{"eager" if eager else "lazy"}" decoding="async" class="{escape(css_class)}">'
    )
    if webp:
        media_url = media_url or links.media_urls()
        by_width = [(width, media_url(name)) for width, name in sorted(webp.items(), key=lambda item: int(item[0]))]
        srcset = ", ".join(f"{url} {width}w" for width, url in by_width)
        return f'<img src="{escape(by_width[-1][1])}" srcset="{escape(srcset)}" sizes="{escape(sizes)}" {common}'
    return f'<img src="{escape(src)}" {common}'


@register.simple_tag
def og_image_url(image) -> str:
    """Path of the 1200x630 link-preview JPEG (the original until it exists)."""
    if not image:
        return ""
    if image.renditions_ready and image.renditions.get("og"):
        return links.media_url(image.renditions["og"])
    return links.media_url(image.image.name)


@register.filter
def first_image(product):
    """First image, without another query: from the card query's `card_image_data` column (selectors._for_cards)
    or else from the prefetched images."""
    if hasattr(product, "card_image_data"):
        data = product.card_image_data
        if isinstance(data, str):
            data = json.loads(data)
        # One row as jsonrows gives them (SQLite's json_object() nests the renditions column as text).
        return instances(ProductImage, [data], product=product)[0] if data else None
    images = list(product.images.all())
    return images[0] if images else None


def stars_html(rating) -> str:
    """★★★★☆ for a rating (rounded to whole stars), hidden from screen readers (the text beside it says it): cards,
    review summaries and reviews all show these (reviews_tags.review_stars)."""
    full = int(round(float(rating or 0)))
    return f'<span class="stars" aria-hidden="true">{"★" * full}{"☆" * (5 - full)}</span>'


@register.simple_tag
def product_cards(products, badges=None):
    """The <li> cards of a product grid, rendered in Python: a listing shows 24 of them on every page view, where an
    {% include %} per card costs about four times as much. The stars come from the review figures stored on each
    product; badges is a {product id: HTML} map from a tag of a layer above (perks_tags.perk_badges), so this layer
    does not import it. Values are escaped with html.escape (what format_html does per value) and joined as plain
    strings."""
    badges = badges or {}
    sold_out_text, sale_text = escape(_("Sold out")), escape(_("Sale"))  # outside f-strings, for makemessages
    sold_out = f'<span class="tag soldout">{sold_out_text}</span>'
    sale = f'<span class="tag sale">{sale_text}</span>'
    rated, tax_included = _("Rated %(average)s out of 5"), tax_included_label()
    # Slugs are ASCII letters, digits, "-" and "_": the product URL is the same for every card but the slug.
    url_before, url_after = map(escape, links.reverse_cached("catalog:product", slug="-").rsplit("-", 1))
    media_url = links.media_urls()
    cards = []
    for product in products:
        compare_at = product.compare_at_money
        if hasattr(product, "card_image_data"):
            image = _card_img_html(product.card_image_data, product_name=product.name, media_url=media_url)
        else:
            image = product_img(first_image(product), media_url=media_url)
        brand = f'<p class="brand">{escape(product.brand)}</p>' if product.brand else ""
        was = f"<del>{escape(compare_at)}</del> " if compare_at else ""
        stars = ""
        if product.review_count:
            average = product.rating_average
            stars = (
                f'<p class="rating">{stars_html(average)} '
                f'<span class="visually-hidden">{escape(rated % {"average": average})}</span>'
                f'<span class="count">({product.review_count})</span></p>'
            )
        cards.append(
            f'<li class="card"><a href="{url_before}{escape(product.slug)}{url_after}">'
            f'<div class="thumb">{image}{"" if product.in_stock else sold_out}'
            f"{sale if product.in_stock and compare_at else ''}{badges.get(product.pk, '')}</div>"
            f'{brand}<p class="name">{escape(product.name)}</p>{stars}'
            f'<p class="price">{was}'
            f"<strong>{escape(product.price_money.format_tax_included(tax_included))}</strong></p></a></li>"
        )
    return mark_safe("".join(cards))  # noqa: S308 - fixed markup, escaped values, HTML from the tag above


# The plurals of the Jinja2 catalogue templates (shop/jinja_env.py: makemessages finds ngettext here, not there).
def item_count(n: int) -> str:
    return ngettext("%(n)s item", "%(n)s items", n) % {"n": n}


def stock_left(n: int) -> str:
    return ngettext("Only %(n)s left", "Only %(n)s left", n) % {"n": n}
