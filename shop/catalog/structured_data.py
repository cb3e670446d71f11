"""schema.org Product data for search engines and link previews."""

from shop.core.links import absolute_url, media_url

from .models import Product, ProductImage, Variant

_AVAILABILITY = {
    "sold_out": "https://schema.org/OutOfStock",
    "low": "https://schema.org/LimitedAvailability",
    "in_stock": "https://schema.org/InStock",
}


def _image_url(request, image: ProductImage) -> str:
    path = media_url(image.renditions["og"] if image.renditions_ready else image.image.name)
    return absolute_url(request, path)


def product_json_ld(*, request, product: Product, variants: list[Variant], images: list[ProductImage]) -> dict:
    url = absolute_url(request, product.get_absolute_url())
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": product.description,
        "url": url,
        "image": [_image_url(request, image) for image in images],
        "category": product.category.name,
        "offers": [
            {
                "@type": "Offer",
                "sku": variant.sku,
                "name": variant.label or product.name,
                "price": variant.price_money.as_decimal_string(),
                "priceCurrency": product.currency,
                "availability": _AVAILABILITY[variant.stock_state],
                "url": url,
            }
            for variant in variants
        ],
    }
    if product.brand:
        data["brand"] = {"@type": "Brand", "name": product.brand}
    return data
