from functools import cache
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse

from . import privacy_selectors

SESSION_KEY = "legal_accepted_version_ids"


@cache
def _exempt_prefixes() -> tuple[str, ...]:
    prefixes = ["/legal/", "/admin/", "/healthz", "/i18n/", settings.STATIC_URL, settings.MEDIA_URL]
    # The whole privacy area stays open: someone who does not accept the new policy may still download their
    # data, withdraw consents or delete the account. The two-factor code comes before the policy.
    names = ("accounts:privacy", "accounts:security_verify", "account_logout", "payments:stripe_webhook", "admin:index")
    for name in names:
        try:
            prefixes.append(reverse(name))
        except NoReverseMatch:
            continue
    return tuple(prefix for prefix in prefixes if prefix)


class PolicyAcceptanceMiddleware:
    """Sends a signed-in user to the accept page while a new privacy policy or terms version awaits acceptance.

    What the user accepted is remembered in the session, so a request costs no query once all is accepted.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(_exempt_prefixes()):
            current = privacy_selectors.legal_version_ids_requiring_acceptance()
            if not current <= set(request.session.get(SESSION_KEY, [])):
                pending = privacy_selectors.legal_versions_to_accept(user=user)
                if pending:
                    return self._to_accept_page(request)
                request.session[SESSION_KEY] = sorted(current)
        return self.get_response(request)

    @staticmethod
    def _to_accept_page(request):
        url = reverse("accounts:privacy_accept")
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        if getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)
