from django.conf import settings


def absolute_url(request, path: str) -> str:
    """An absolute URL for link previews and e-mails: SITE_URL when set, else the request's scheme and host."""
    if not path or path.startswith(("http://", "https://")):
        return path or ""
    if settings.SITE_URL:
        return settings.SITE_URL.rstrip("/") + path
    return request.build_absolute_uri(path)
