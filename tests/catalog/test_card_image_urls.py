"""Image URLs are remembered per file name (shop.core.links.media_urls): the same URLs as the storage gives."""

import json

from django.core.files.storage import default_storage

from shop.catalog.models import Product
from shop.catalog.templatetags.catalog_tags import _card_img_html, first_image
from shop.core.links import media_url
from shop.core.links import media_urls as _media_url

NAMES = ["products/a.webp", "products/日本 語/シャツ 1.webp", "products/50%off#1.webp", "/products/lead.webp"]


def test_the_urls_are_the_storages():
    url = _media_url()
    for name in NAMES:
        assert url(name) == default_storage.url(name)
        assert url(name) == default_storage.url(name)  # the remembered one too
        assert media_url(name) == default_storage.url(name)
    assert media_url("") == ""


def test_another_media_url_gets_its_own_urls(settings):
    before = _media_url()(NAMES[1])
    settings.MEDIA_URL = "https://media.example.com/m/"
    after = _media_url()(NAMES[1])
    assert after == default_storage.url(NAMES[1])
    assert after.startswith("https://media.example.com/m/")
    assert after != before


def test_a_card_image_from_the_querys_json_text_is_the_same_markup_as_from_its_row():
    """The card query leaves the image as JSON text, whose markup is remembered (catalog_tags._card_img_html)."""
    row = {
        "id": 1,
        "image": "products/a.jpg",
        "width": 800,
        "height": 600,
        "alt": "",
        "renditions": {"source": "products/a.jpg", "webp": {"640": "r/a-640.webp", "320": "r/a-320.webp"}},
    }
    url = _media_url()
    from_row = _card_img_html(row, product_name="<ニット>", media_url=url)
    assert (
        'srcset="/media/r/a-320.webp 320w, /media/r/a-640.webp 640w"' in from_row and 'alt="&lt;ニット&gt;"' in from_row
    )
    for _ in range(2):  # made, then remembered
        assert _card_img_html(json.dumps(row), product_name="<ニット>", media_url=url) == from_row
    assert 'alt="シャツ"' in _card_img_html(json.dumps(row), product_name="シャツ", media_url=url)
    assert _card_img_html(None, product_name="x", media_url=url) == _card_img_html({}, product_name="x", media_url=url)


def test_first_image_reads_the_json_text_too():
    product = Product(name="ニット", slug="knit")
    product.card_image_data = json.dumps({"id": 3, "image": "products/b.jpg", "width": 10, "height": 20, "alt": "b"})
    image = first_image(product)
    assert (image.pk, image.image.name, image.alt) == (3, "products/b.jpg", "b")
