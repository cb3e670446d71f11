import functools
from functools import lru_cache

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.encoding import filepath_to_uri


def absolute_url(request, path: str) -> str:
    """An absolute URL for link previews and e-mails: SITE_URL when set, else the request's scheme and host."""
    if not path or path.startswith(("http://", "https://")):
        return path or ""
    if settings.SITE_URL:
        return settings.SITE_URL.rstrip("/") + path
    return request.build_absolute_uri(path)


@lru_cache(maxsize=4096)
def _reverse(urlconf, script_prefix: str, viewname: str, args: tuple, kwargs: tuple) -> str:
    return reverse(viewname, urlconf=urlconf, args=args or None, kwargs=dict(kwargs) or None)


def reverse_cached(viewname: str, *args, **kwargs) -> str:
    """`reverse` remembered per process: the same name and arguments give the same path for as long as the URLconf
    and script prefix stay (they are part of the key). A product page reversed about twenty URLs, each about 25 µs
    of Django's resolver; repeated lookups cost 1-2 µs. For names whose URL depends only on their arguments."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _reverse(urlconf, get_script_prefix(), viewname, args, tuple(sorted(kwargs.items())))


def media_urls():
    """default_storage.url, or for files on this server the same URL without urljoin per name, remembered per name:
    a listing builds about a hundred image URLs and a product page a dozen, and quoting each path was most of an
    image's markup."""
    if isinstance(default_storage, FileSystemStorage):
        return _local_media_urls(default_storage.base_url)
    return default_storage.url


def media_url(name: str) -> str:
    """The URL of a stored file (an image field's `.url`), remembered per name (media_urls)."""
    return media_urls()(name) if name else ""


@functools.cache
def _local_media_urls(base: str):
    """The URL function for files under `base` (one per MEDIA_URL, so settings overridden in tests get their own)."""

    @functools.lru_cache(maxsize=8192)
    def url(name: str) -> str:
        return base + filepath_to_uri(name).lstrip("/")

    return url
