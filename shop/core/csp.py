"""Content-Security-Policy: django-csp's middleware plus the Stripe origins the current settings point at.

The fixed directives are CONTENT_SECURITY_POLICY in settings. Where Stripe.js and the Stripe API live depends on
STRIPE_JS_URL and STRIPE_API_BASE (real Stripe, or localstripe in tests and the demo), which tests change per test,
so those origins are worked out for each response rather than once when the settings load.
"""

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings

STRIPE_JS_ORIGIN = "https://js.stripe.com"
STRIPE_API_ORIGIN = "https://api.stripe.com"


def url_origin(url: str) -> str:
    """ "https://js.stripe.com/v3/" -> "https://js.stripe.com"; "" when the URL has no scheme and host."""
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def stripe_directives() -> dict[str, list[str]]:
    js = url_origin(settings.STRIPE_JS_URL) or STRIPE_JS_ORIGIN
    api = url_origin(settings.STRIPE_API_BASE) or STRIPE_API_ORIGIN
    # Stripe.js runs from its origin, calls the API, and shows the card field and 3-D Secure in frames of its
    # origin (hooks.stripe.com is in the settings). On localstripe both are the one local server.
    return {"script-src": [js], "connect-src": [api], "frame-src": [js]}


class ShopCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        update = {key: list(values) for key, values in stripe_directives().items()}
        # A view's own @csp_update comes on top of ours.
        for key, values in (parts.update or {}).items():
            extra = [values] if isinstance(values, str) else list(values)
            update[key] = update.get(key, []) + extra
        parts.update = update
        return parts
