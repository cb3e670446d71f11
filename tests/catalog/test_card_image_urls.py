"""Card images' URLs are remembered per file name (catalog_tags._media_url): the same URLs as the storage gives."""

from django.core.files.storage import default_storage

from shop.catalog.templatetags.catalog_tags import _media_url

NAMES = ["products/a.webp", "products/日本 語/シャツ 1.webp", "products/50%off#1.webp", "/products/lead.webp"]


def test_the_urls_are_the_storages():
    url = _media_url()
    for name in NAMES:
        assert url(name) == default_storage.url(name)
        assert url(name) == default_storage.url(name)  # the remembered one too


def test_another_media_url_gets_its_own_urls(settings):
    before = _media_url()(NAMES[1])
    settings.MEDIA_URL = "https://media.example.com/m/"
    after = _media_url()(NAMES[1])
    assert after == default_storage.url(NAMES[1])
    assert after.startswith("https://media.example.com/m/")
    assert after != before
