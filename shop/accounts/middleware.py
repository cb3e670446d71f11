"""After signing in, a user who turned on two-factor must enter a code before anything else."""

from functools import cached_property
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import LazyObject
from django_htmx.http import HttpResponseClientRedirect

from .otp import two_factor_enabled


class TwoFactorRequiredMiddleware:
    """Sends a signed-in user who has a confirmed OTP device but has not entered a code in this session to the
    verify page. Goes after django_otp's OTPMiddleware (which sets `request.user.is_verified`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user = _evaluated(request.user)
        if (
            user.is_authenticated
            and not user.is_verified()
            and not self._exempt(request.path_info)
            and two_factor_enabled(user=user)
        ):
            return self._to_verify(request)
        return self.get_response(request)

    @cached_property
    def _exempt_paths(self) -> frozenset[str]:
        names = ("accounts:security_verify", "account_logout", "account_login", "set_language", "core:healthz")
        return frozenset({reverse(name) for name in names} | {reverse("payments:stripe_webhook")})

    @cached_property
    def _exempt_prefixes(self) -> tuple[str, ...]:
        return tuple(prefix for prefix in (settings.STATIC_URL, settings.MEDIA_URL) if prefix and prefix != "/")

    def _exempt(self, path: str) -> bool:
        return path in self._exempt_paths or path.startswith(self._exempt_prefixes)

    def _to_verify(self, request):
        url = reverse("accounts:security_verify")
        # Only a page can be gone back to: a form posted before the code was entered is not sent again.
        if request.method in ("GET", "HEAD") and not request.headers.get("HX-Request"):
            url = f"{url}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request"):
            return HttpResponseClientRedirect(url)
        return HttpResponseRedirect(url)


def _evaluated(user):
    """The user behind request.user's lazy wrappers, read now (this middleware reads it on every request anyway).

    Django's AuthenticationMiddleware and django_otp's OTPMiddleware each wrap request.user in a SimpleLazyObject,
    one inside the other: every later read of an attribute went through both proxies, raising and catching an
    AttributeError in each (a few µs; a page reads the user dozens of times). The objects are the same once read.
    """
    user.is_authenticated  # noqa: B018 - reads the user: each wrapper then holds what it wraps
    while isinstance(user, LazyObject):
        user = user._wrapped
    return user
