"""Records sign-ins (django's user_logged_in / user_login_failed, sent for allauth, LINE Login and the admin alike).

These call the services directly instead of enqueuing a task: the browser id must be known before the response is
written, because the response sets the "shop_device" cookie (KnownBrowserCookieMiddleware).
"""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from . import signin_services as services
from .privacy_selectors import personal_data_register

personal_data_register(name="sign_ins", export=services.sign_ins_export, anonymise=services.sign_ins_forget)


def _client(request) -> tuple[str | None, str]:
    """Address and User-Agent of a real web request; (None, "") for a programmatic login (tests' force_login, the
    shell), which has no client address and is not a sign-in anyone made from a browser."""
    if request is None or not hasattr(request, "META"):
        return None, ""
    return request.META.get("REMOTE_ADDR") or None, request.META.get("HTTP_USER_AGENT", "")


def _browser_id(request) -> str:
    return request.get_signed_cookie(services.DEVICE_COOKIE, default="", salt=services.DEVICE_COOKIE_SALT)


@receiver(user_logged_in, dispatch_uid="accounts_record_sign_in")
def record_sign_in(sender, request, user, **kwargs):
    ip, user_agent = _client(request)
    if ip is None:
        return
    result = services.sign_in_record_success(user=user, ip=ip, user_agent=user_agent, device_id=_browser_id(request))
    setattr(request, services.DEVICE_REQUEST_ATTR, result.device_id)


@receiver(user_login_failed, dispatch_uid="accounts_record_sign_in_failure")
def record_sign_in_failure(sender, credentials, request=None, **kwargs):
    ip, user_agent = _client(request)
    if ip is None:
        return
    email = credentials.get("email") or credentials.get("username") or credentials.get("login") or ""
    services.sign_in_record_failure(email=str(email), ip=ip, user_agent=user_agent)
