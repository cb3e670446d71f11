from django import template
from django.core.files.storage import FileSystemStorage, default_storage
from django.urls import reverse
from django.utils.encoding import filepath_to_uri
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from shop.core.jsonrows import instances

from ..models import ProductImage

register = template.Library()

DEFAULT_SIZES = "(max-width: 640px) 50vw, (max-width: 1024px) 33vw, 280px"


def _media_url():
    """default_storage.url, or for files on this server the same URL without urljoin per name (a listing builds about
    a hundred of them)."""
    if isinstance(default_storage, FileSystemStorage):
        base = default_storage.base_url
        return lambda name: base + filepath_to_uri(name).lstrip("/")
    return default_storage.url


@register.simple_tag
def product_img(image, sizes: str = DEFAULT_SIZES, css_class: str = "", eager: bool = False, media_url=None):
    """<img> with a WebP srcset from the image's renditions; the original until the renditions exist."""
    if not image:
        return format_html('<div class="img-placeholder {}" aria-hidden="true"></div>', css_class)
    webp = image.renditions.get("webp", {}) if image.renditions_ready else {}
    loading = "eager" if eager else "lazy"
    alt = image.alt or image.product.name
    if webp:
        media_url = media_url or _media_url()
        by_width = [(width, media_url(name)) for width, name in sorted(webp.items(), key=lambda item: int(item[0]))]
        return format_html(
            '<img src="{}" srcset="{}" sizes="{}" alt="{}" width="{}" height="{}" loading="{}" decoding="async" class="{}">',
            by_width[-1][1],
            ", ".join(f"{url} {width}w" for width, url in by_width),
            sizes,
            alt,
            image.width or "",
            image.height or "",
            loading,
            css_class,
        )
    return format_html(
        '<img src="{}" alt="{}" width="{}" height="{}" loading="{}" decoding="async" class="{}">',
        image.image.url,
        alt,
        image.width or "",
        image.height or "",
        loading,
        css_class,
    )


@register.simple_tag
def og_image_url(image) -> str:
    """Path of the 1200x630 link-preview JPEG (the original until it exists)."""
    if not image:
        return ""
    if image.renditions_ready and image.renditions.get("og"):
        return default_storage.url(image.renditions["og"])
    return image.image.url


@register.filter
def first_image(product):
    """First image, without another query: from the card query's `card_image_data` column (selectors._for_cards)
    or else from the prefetched images."""
    if hasattr(product, "card_image_data"):
        data = product.card_image_data
        # One row as jsonrows gives them (SQLite's json_object() nests the renditions column as text).
        return instances(ProductImage, [data], product=product)[0] if data else None
    images = list(product.images.all())
    return images[0] if images else None


@register.simple_tag
def product_cards(products, stars=None, badges=None):
    """The <li> cards of a product grid, rendered in Python: a listing shows 24 of them on every page view, where an
    {% include %} per card costs about four times as much. stars and badges are {product id: HTML} maps from the
    tags of the layers above (reviews_tags.card_stars, perks_tags.perk_badges), so this layer imports neither."""
    stars, badges = stars or {}, badges or {}
    sold_out = format_html('<span class="tag soldout">{}</span>', _("Sold out"))
    sale = format_html('<span class="tag sale">{}</span>', _("Sale"))
    # Slugs are ASCII letters, digits, "-" and "_": the product URL is the same for every card but the slug.
    url_before, url_after = reverse("catalog:product", kwargs={"slug": "-"}).rsplit("-", 1)
    media_url = _media_url()
    cards = []
    for product in products:
        compare_at = product.compare_at_money
        cards.append(
            format_html(
                '<li class="card"><a href="{}{}{}"><div class="thumb">{}{}{}{}</div>{}<p class="name">{}</p>{}'
                '<p class="price">{}<strong>{}</strong></p></a></li>',
                url_before,
                product.slug,
                url_after,
                product_img(first_image(product), media_url=media_url),
                "" if product.in_stock else sold_out,
                sale if product.in_stock and compare_at else "",
                badges.get(product.pk, ""),
                format_html('<p class="brand">{}</p>', product.brand) if product.brand else "",
                product.name,
                stars.get(product.pk, ""),
                format_html("<del>{}</del> ", compare_at) if compare_at else "",
                product.price_money.format_tax_included(),
            )
        )
    return mark_safe("".join(cards))  # noqa: S308 - every part went through format_html
