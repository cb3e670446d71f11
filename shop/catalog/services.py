import io
import logging
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image, ImageOps

from .models import Product, ProductImage, Variant

logger = logging.getLogger(__name__)

OG_SIZE = (1200, 630)


def product_sync_from_variants(*, product_id: int) -> Product:
    """Refresh the listing summary (lowest price, its compare-at price, in stock) from the product's variants.

    The "from" price is the lowest among variants in stock, so a listing never advertises a price that cannot be
    bought; when everything is sold out it is the lowest of all.
    """
    with transaction.atomic():
        product = Product.objects.select_for_update().get(pk=product_id)
        variants = list(Variant.objects.filter(product_id=product_id, is_active=True).order_by("price", "id"))
        in_stock = [v for v in variants if v.stock > 0]
        cheapest = (in_stock or variants or [None])[0]
        product.price = cheapest.price if cheapest else 0
        product.compare_at_price = cheapest.compare_at_price if cheapest else None
        product.in_stock = bool(in_stock)
        product.save(update_fields=["price", "compare_at_price", "in_stock", "search_text", "updated_at"])
    return product


def _encode(image: Image.Image, *, fmt: str, quality: int) -> ContentFile:
    buffer = io.BytesIO()
    options = {"method": 2} if fmt == "WEBP" else {"optimize": True, "progressive": True}
    image.save(buffer, format=fmt, quality=quality, **options)
    return ContentFile(buffer.getvalue())


def product_image_make_renditions(*, image_id: int) -> ProductImage | None:
    """WebP in each of SHOP_IMAGE_WIDTHS for pages and a 1200x630 JPEG for link previews.

    Idempotent: renditions already made from the current source file are kept as they are.
    """
    image_row = ProductImage.objects.filter(pk=image_id).first()
    if image_row is None or not image_row.image:
        return None
    if image_row.renditions_ready:
        return image_row
    source_name = image_row.image.name
    stem = PurePosixPath(source_name).stem
    folder = f"renditions/{image_id}"
    with default_storage.open(source_name, "rb") as handle:
        original = ImageOps.exif_transpose(Image.open(handle))
        original = original.convert("RGB")
    webp = {}
    for width in settings.SHOP_IMAGE_WIDTHS:
        copy = original.copy()
        if copy.width > width:
            copy.thumbnail((width, width * 4), Image.Resampling.LANCZOS)
        webp[str(width)] = default_storage.save(f"{folder}/{stem}-{width}.webp", _encode(copy, fmt="WEBP", quality=80))
    og = ImageOps.pad(original, OG_SIZE, method=Image.Resampling.LANCZOS, color=(246, 243, 240))
    og_name = default_storage.save(f"{folder}/{stem}-og.jpg", _encode(og, fmt="JPEG", quality=85))
    with transaction.atomic():
        locked = ProductImage.objects.select_for_update().get(pk=image_id)
        old = locked.renditions
        locked.renditions = {"source": source_name, "webp": webp, "og": og_name}
        locked.save(update_fields=["renditions"])
    _delete_rendition_files(old)
    return locked


def _delete_rendition_files(renditions: dict) -> None:
    for name in [*renditions.get("webp", {}).values(), renditions.get("og")]:
        if name:
            default_storage.delete(name)
