"""A short-lived cache of whole pages for first-time visitors (no cookies), on top of the uncached pages.

A visitor who arrives with no cookie at all (a first visit, a search engine, a link opened in a new browser) sees
exactly what every other such visitor sees: no cart, no messages, no consent choice, no recommendations history. For
them the catalogue pages (`@visitor_page_cache`) are kept for SHOP_VISITOR_PAGE_CACHE_SECONDS (0 turns it off) under
the scheme, host, path with query string and language. Anything else about the request (a session, a share-link
cookie, an analytics choice, an htmx request, a POST) bypasses the cache, and a page is only kept if it was a 200 that
set no cookie but the CSRF one.

The page's CSRF token is stored as a placeholder and each visitor gets their own (Django then sets their CSRF cookie
as usual). Staff edits to the catalogue show at once (`visitor_pages_expire`, from the catalogue's and the reviews'
receivers); stock sold meanwhile shows within the cache time, while the cart and checkout always read live stock.
"""

import hashlib
import re
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_vary_headers

VERSION_KEY = "visitor-pages:version"
CSRF_PLACEHOLDER = "\x00csrf\x00"
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_ALLOWED_COOKIES = {settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME}


def visitor_pages_expire() -> None:
    """Drop every cached visitor page (their version no longer matches)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set yet (or the cache was flushed)
        cache.set(VERSION_KEY, 1, None)


def _cacheable_request(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and set(request.COOKIES) <= _ALLOWED_COOKIES
        and "HTTP_HX_REQUEST" not in request.META
    )


def _cacheable_response(response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and set(response.cookies) <= {settings.CSRF_COOKIE_NAME}
        and "private" not in response.get("Cache-Control", "")
    )


def _key(request) -> str:
    where = f"{request.scheme}://{request.get_host()}{request.get_full_path()}|{request.LANGUAGE_CODE}"
    return "visitor-page:" + hashlib.sha256(where.encode()).hexdigest()


def _stored(response) -> str:
    html = response.content.decode(response.charset)
    token = _TOKEN.search(html)
    return html.replace(token.group(1), CSRF_PLACEHOLDER) if token else html


def _served(request, html: str) -> HttpResponse:
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    response = HttpResponse(html)
    response["X-Visitor-Cache"] = "hit"
    return response


def visitor_page_cache(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        seconds = settings.SHOP_VISITOR_PAGE_CACHE_SECONDS
        if not seconds or not _cacheable_request(request):
            return view(request, *args, **kwargs)
        key = _key(request)
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY, 0)
        stored = found.get(key)
        if stored is not None and stored[0] == version:
            response = _served(request, stored[1])
        else:
            response = view(request, *args, **kwargs)
            if _cacheable_response(response):
                cache.set(key, (version, _stored(response)), seconds)
        patch_vary_headers(response, ("Cookie",))
        return response

    return wrapper
