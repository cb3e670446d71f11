"""shop.core.links.absolute_url: the URL request.build_absolute_uri gives, with the scheme and host worked out once."""

import pytest
from django.test import RequestFactory

from shop.core.links import absolute_url

PATHS = [
    "/p/knit-01/",
    "/s/AbC123xy/",
    "/media/products/%E6%97%A5%E6%9C%AC.webp",
    "/search/?q=a&page=2#top",
    "/p/ニット/",  # not yet a URI: quoted as Django quotes it
    "/p/a b/",
    '/p/"x"/',
    "/p/<x>/",
    "/a/./b/",
    "/a/../b/",
    "//evil.example.com/x",
    "relative/path",
    "/p/~x/(1)/!*'/",
]


@pytest.mark.parametrize(
    "host, secure", [("shop.example.jp", True), ("localhost:8000", False), ("xn--r8jz45g.jp", True)]
)
def test_the_same_url_as_django_builds(settings, host, secure):
    settings.SITE_URL = ""
    settings.ALLOWED_HOSTS = ["*"]
    request = RequestFactory().get("/p/x/", HTTP_HOST=host, secure=secure)
    for path in PATHS:
        expected = RequestFactory().get("/p/x/", HTTP_HOST=host, secure=secure).build_absolute_uri(path)
        assert absolute_url(request, path) == expected, path


def test_site_url_and_absolute_urls(settings):
    request = RequestFactory().get("/")
    assert absolute_url(request, "https://cdn.example.jp/a.webp") == "https://cdn.example.jp/a.webp"
    assert absolute_url(request, "") == ""
    settings.SITE_URL = "https://shop.example.jp/"
    assert absolute_url(request, "/p/x/") == "https://shop.example.jp/p/x/"
