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


def _card_product(**values) -> Product:
    product = Product(pk=9, name="ニット", slug="knit", brand="Lumi", price=4400, currency="JPY", in_stock=True)
    product.compare_at_price, product.review_count, product.rating_average = None, 0, 0.0
    product.card_image_data = json.dumps({"id": 3, "image": "products/b.jpg", "width": 10, "height": 20, "alt": ""})
    for name, value in values.items():
        setattr(product, name, value)
    return product


def test_a_card_is_made_once_for_the_same_values_and_again_for_other_values_or_another_language():
    """product_cards remembers a card by its values and the page's texts (catalog_tags._card_of_text): the same
    product again is not made again, and any change of what the card shows gives its new markup."""
    from django.utils import translation

    from shop.catalog.templatetags.catalog_tags import _card_of_text, product_cards

    with translation.override("ja"):
        first = product_cards([_card_product()])
        made = _card_of_text.cache_info().misses
        assert product_cards([_card_product()]) == first
        assert _card_of_text.cache_info().misses == made
        changed = {
            "price": product_cards([_card_product(price=3900)]),
            "sale": product_cards([_card_product(compare_at_price=5500)]),
            "sold out": product_cards([_card_product(in_stock=False)]),
            "reviews": product_cards([_card_product(review_count=2, rating_average=4.5)]),
            "badge": product_cards([_card_product()], {9: '<span class="tag perk">会員限定</span>'}),
            "name": product_cards([_card_product(name="<シャツ>")]),
        }
        japanese_sold_out = product_cards([_card_product(in_stock=False)])
        as_float = product_cards([_card_product(review_count=2, rating_average=4.0)])
        as_int = product_cards([_card_product(review_count=2, rating_average=4)])
    with translation.override("en"):
        english_sold_out = product_cards([_card_product(in_stock=False)])
    assert "¥3,900" in changed["price"] and "¥4,400" not in changed["price"]
    assert "<del>¥5,500</del>" in changed["sale"] and 'class="tag sale"' in changed["sale"]
    assert 'class="tag soldout"' in changed["sold out"] and 'class="tag soldout"' not in first
    assert "(2)</span>" in changed["reviews"] and "4.5" in changed["reviews"]
    assert "会員限定" in changed["badge"]
    assert "&lt;シャツ&gt;" in changed["name"] and 'alt="&lt;シャツ&gt;"' in changed["name"]
    assert len({first, *changed.values()}) == 7
    assert english_sold_out != japanese_sold_out and "Sold out" in english_sold_out
    assert "5点中4.0点" in as_float and "5点中4点" in as_int  # 4 and 4.0 read differently: not one key
