import functools
import re
from contextvars import ContextVar

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.encoding import filepath_to_uri

# A path that request.build_absolute_uri would only put after the scheme and host: from the root, no "." or ".."
# segment, and only characters its iri_to_uri leaves as they are (a reversed URL, a stored file's URL).
_PLAIN_PATH = re.compile(r"/(?!/)[A-Za-z0-9_.~/#%\[\]=:;$&()+,!?*@'-]*")


def absolute_url(request, path: str) -> str:
    """An absolute URL for link previews and e-mails: SITE_URL when set, else the request's scheme and host."""
    if not path or path.startswith(("http://", "https://")):
        return path or ""
    if settings.SITE_URL:
        return settings.SITE_URL.rstrip("/") + path
    if _PLAIN_PATH.fullmatch(path) and "/." not in path:
        # The scheme and host once per request: a product page makes about ten absolute URLs (link preview,
        # structured data, a member's share links).
        origin = request.__dict__.get("_shop_origin")
        if origin is None:
            origin = request.__dict__["_shop_origin"] = request.build_absolute_uri("/")[:-1]
        return origin + path
    return request.build_absolute_uri(path)


@functools.lru_cache(maxsize=4096)
def _reverse(urlconf, script_prefix: str, viewname: str, args: tuple, kwargs: tuple) -> str:
    return reverse(viewname, urlconf=urlconf, args=args or None, kwargs=dict(kwargs) or None)


# A keyword value a URL needs as it is (no quoting) and that every slug, str and path converter takes. The marker has
# every kind of such character, so a pattern that refuses some of them (an int, a narrower regex) refuses it too.
_PLAIN_VALUE = re.compile(r"[-a-zA-Z0-9_]+")
_MARKER = "Zz9-_{}_-9zZ"


@functools.lru_cache(maxsize=1024)
def _url_parts(urlconf, script_prefix: str, viewname: str, names: tuple[str, ...]) -> tuple | None:
    """The name's URL split around its keyword values, ("/p/", "slug", "/"), or None when it cannot be made that
    way (no such URL, or a pattern that does not take any plain value)."""
    markers = {name: _MARKER.format(index) for index, name in enumerate(names)}
    try:
        url = reverse(viewname, urlconf=urlconf, kwargs=markers)
    except NoReverseMatch:
        return None
    if any(url.count(marker) != 1 for marker in markers.values()):
        return None
    by_marker = {marker: name for name, marker in markers.items()}
    parts = re.split("(" + "|".join(map(re.escape, by_marker)) + ")", url)
    return tuple(by_marker.get(part, part) if index % 2 else part for index, part in enumerate(parts))


# The URLconf and script prefix of the request being answered, read on its first reverse_cached (url_state_reset):
# each is an asgiref Local, whose read takes a lock (about 1.5 µs, where the rest of a remembered reverse takes 1-2),
# and a product page reverses about 25 URLs. False in a request until then, None outside a request.
_REQUEST_URL_STATE: ContextVar[tuple | bool | None] = ContextVar("shop_request_url_state", default=None)


def url_state_reset(*, in_request: bool, **kwargs) -> None:
    """Connected to request_started (in_request=True) and request_finished (False) by CoreConfig. Django sets the
    script prefix before request_started and the URLconf before the first middleware, and neither again during the
    request (the shop sets no request.urlconf). Outside a request (tasks, commands) both are read on every call."""
    _REQUEST_URL_STATE.set(False if in_request else None)


def _url_state() -> tuple[str, str]:
    state = _REQUEST_URL_STATE.get()
    if state:
        return state
    found = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    if state is False:
        _REQUEST_URL_STATE.set(found)
    return found


def reverse_cached(viewname: str, *args, **kwargs) -> str:
    """`reverse` remembered per process: the same name and arguments give the same path for as long as the URLconf
    and script prefix stay (they are part of the key). A product page reversed about twenty URLs, each about 25 µs
    of Django's resolver; repeated lookups cost 1-2 µs. For names whose URL depends only on their arguments, and
    that have one URL pattern.

    Keyword values that are plain slugs (a product's or category's slug, a share code) fill in the name's URL made
    once with markers: there are too many of them to remember each URL (500 product pages in turn had missed the
    remembered ones about seven times a view)."""
    urlconf, prefix = _url_state()
    if kwargs and not args and all(type(value) is str and _PLAIN_VALUE.fullmatch(value) for value in kwargs.values()):
        parts = _url_parts(urlconf, prefix, viewname, tuple(sorted(kwargs)))
        if parts is not None:
            return "".join(kwargs[part] if index % 2 else part for index, part in enumerate(parts))
    return _reverse(urlconf, prefix, viewname, args, tuple(sorted(kwargs.items())))


def media_urls():
    """default_storage.url, or for files on this server the same URL without urljoin per name, remembered per name:
    a listing builds about a hundred image URLs and a product page a dozen, and quoting each path was most of an
    image's markup."""
    storage = storages["default"]  # default_storage's object, without the LazyObject in front of each read
    if isinstance(storage, FileSystemStorage):
        return _local_media_urls(storage.base_url)
    return storage.url


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
