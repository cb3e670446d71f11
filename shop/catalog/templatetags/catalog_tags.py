from django import template
from django.core.files.storage import default_storage
from django.utils.html import format_html

register = template.Library()

DEFAULT_SIZES = "(max-width: 640px) 50vw, (max-width: 1024px) 33vw, 280px"


@register.simple_tag
def product_img(image, sizes: str = DEFAULT_SIZES, css_class: str = "", eager: bool = False):
    """<img> with a WebP srcset from the image's renditions; the original until the renditions exist."""
    if not image:
        return format_html('<div class="img-placeholder {}" aria-hidden="true"></div>', css_class)
    webp = image.renditions.get("webp", {}) if image.renditions_ready else {}
    loading = "eager" if eager else "lazy"
    alt = image.alt or image.product.name
    if webp:
        by_width = sorted(webp.items(), key=lambda item: int(item[0]))
        srcset = ", ".join(f"{default_storage.url(name)} {width}w" for width, name in by_width)
        largest = by_width[-1][1]
        return format_html(
            '<img src="{}" srcset="{}" sizes="{}" alt="{}" width="{}" height="{}" loading="{}" decoding="async" class="{}">',
            default_storage.url(largest),
            srcset,
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
    """First image from the prefetched images, without another query."""
    images = list(product.images.all())
    return images[0] if images else None
