"""Sets the "shop_device" cookie (a random browser id, signed) on the response to a sign-in: see signin_services."""

from django.conf import settings

from .signin_services import DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE, DEVICE_COOKIE_SALT, DEVICE_REQUEST_ATTR


class KnownBrowserCookieMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        device_id = getattr(request, DEVICE_REQUEST_ATTR, "")
        if device_id:
            response.set_signed_cookie(
                DEVICE_COOKIE,
                device_id,
                salt=DEVICE_COOKIE_SALT,
                max_age=DEVICE_COOKIE_MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
