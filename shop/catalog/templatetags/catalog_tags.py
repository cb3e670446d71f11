import functools
import json
from collections.abc import Callable
from html import escape as _html_escape
from typing import NamedTuple

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from shop.core import links
from shop.core.jsonrows import instances
from shop.core.money import Money, tax_included_label

from ..models import ProductImage, compare_at_money

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
    strings.

    A card whose image came as JSON text (every card query's, selectors._for_cards) is made once per process for the
    same values (`_card_of_text`): a card is a function of them and of the page's language, and a listing or a
    product page's related products show the same cards view after view."""
    badges = badges or {}
    texts = _card_texts()
    cards = []
    for product in products:
        values = (
            product.slug,
            product.name,
            product.brand,
            product.price,
            product.compare_at_price,
            product.currency,
            product.in_stock,
            product.review_count,
            product.rating_average,
            badges.get(product.pk, ""),
        )
        data = getattr(product, "card_image_data", _NO_COLUMN)
        if type(data) is str:
            cards.append(_card_of_text(texts, data, *values))
            continue
        if data is _NO_COLUMN:
            image = product_img(first_image(product), media_url=texts.media_url)
        else:
            image = _card_img_html(data, product_name=product.name, media_url=texts.media_url)
        cards.append(_card(texts, image, *values))
    return mark_safe("".join(cards))  # noqa: S308 - fixed markup, escaped values, HTML from the tag above


_NO_COLUMN = object()


class _CardTexts(NamedTuple):
    """What every card of a page shares: its language's texts (escaped where they go in as they are), the product
    URL around the slug, and the media URL function."""

    sold_out: str
    sale: str
    rated: str
    tax_included: str
    url_before: str
    url_after: str
    media_url: Callable[[str], str]


def _card_texts() -> _CardTexts:
    sold_out, sale = escape(_("Sold out")), escape(_("Sale"))  # outside f-strings, for makemessages
    # Slugs are ASCII letters, digits, "-" and "_": the product URL is the same for every card but the slug.
    url_before, url_after = map(escape, links.reverse_cached("catalog:product", slug="-").rsplit("-", 1))
    return _CardTexts(
        sold_out=f'<span class="tag soldout">{sold_out}</span>',
        sale=f'<span class="tag sale">{sale}</span>',
        rated=_("Rated %(average)s out of 5"),
        tax_included=tax_included_label(),
        url_before=url_before,
        url_after=url_after,
        media_url=links.media_urls(),
    )


@functools.lru_cache(maxsize=4096, typed=True)  # typed: a rating of 4 and of 4.0 read differently
def _card_of_text(texts: _CardTexts, image_text: str, *values) -> str:
    """_card with the image of its JSON text, remembered: it depends on nothing else."""
    return _card(texts, _card_img_html(image_text, product_name=values[1], media_url=texts.media_url), *values)


def _card(
    texts: _CardTexts,
    image: str,
    slug: str,
    name: str,
    brand: str,
    price: int,
    compare_at_price: int | None,
    currency: str,
    in_stock: bool,
    review_count: int,
    rating_average: float,
    badge: str,
) -> str:
    """One card's <li>, from these values only."""
    compare_at = compare_at_money(price, compare_at_price, currency)
    brand_html = f'<p class="brand">{escape(brand)}</p>' if brand else ""
    was = f"<del>{escape(compare_at)}</del> " if compare_at else ""
    stars = ""
    if review_count:
        stars = (
            f'<p class="rating">{stars_html(rating_average)} '
            f'<span class="visually-hidden">{escape(texts.rated % {"average": rating_average})}</span>'
            f'<span class="count">({review_count})</span></p>'
        )
    return (
        f'<li class="card"><a href="{texts.url_before}{escape(slug)}{texts.url_after}">'
        f'<div class="thumb">{image}{"" if in_stock else texts.sold_out}'
        f"{texts.sale if in_stock and compare_at else ''}{badge}</div>"
        f'{brand_html}<p class="name">{escape(name)}</p>{stars}'
        f'<p class="price">{was}'
        f"<strong>{escape(Money(price, currency).format_tax_included(texts.tax_included))}</strong></p></a></li>"
    )


def variant_choices(variants, selected, tax_label: str) -> str:
    """The product page's radio button of each variant on sale (price, "was" price, stock, colour swatch), made in
    Python: as a Jinja2 loop, about twenty expressions a variant."""
    texts = _variant_texts(get_language())
    choices = []
    for variant in variants:
        state, compare_at, colour, price = (
            variant.stock_state,
            variant.compare_at_money,
            variant.colour_hex,
            variant.price_money,
        )
        if state == "sold_out":
            state_text = texts["sold_out"]
        elif state == "low":
            state_text = escape(stock_left(variant.stock))
        else:
            state_text = texts["in_stock"]
        swatch = f'class="swatch" style="background: {escape(colour)}"' if colour else 'class="swatch none"'
        choices.append(
            f'\n        <label class="variant {state}">\n'
            f'          <input type="radio" name="variant" value="{variant.pk}" '
            f"{'checked' if variant == selected else ''} {'disabled' if state == 'sold_out' else ''}\n"
            f'            data-price="{escape(price.format_tax_included(tax_label))}" '
            f'data-compare="{"" if compare_at is None else escape(compare_at)}" data-max="{variant.max_quantity}">\n'
            f"          <span {swatch}></span>\n"
            f'          <span class="label">{escape(variant.label) if variant.label else texts["one_size"]}</span>\n'
            f'          <span class="sku">{texts["sku"]}: {escape(variant.sku)}</span>\n'
            f'          <span class="state">{state_text}</span>\n'
            f'          <span class="vprice">{escape(price)}</span>\n'
            "        </label>\n      "
        )
    return mark_safe("".join(choices))  # noqa: S308 - fixed markup and escaped values


@functools.lru_cache(maxsize=16)
def _variant_texts(language: str | None) -> dict[str, str]:
    """variant_choices' fixed texts in the language, escaped."""
    return {
        "sold_out": escape(_("Sold out")),
        "in_stock": escape(_("In stock")),
        "one_size": escape(_("One size")),
        "sku": escape(_("SKU")),
    }


# The plurals of the Jinja2 catalogue templates (shop/jinja_env.py: makemessages finds ngettext here, not there).
def item_count(n: int) -> str:
    return ngettext("%(n)s item", "%(n)s items", n) % {"n": n}


def stock_left(n: int) -> str:
    return ngettext("Only %(n)s left", "Only %(n)s left", n) % {"n": n}
