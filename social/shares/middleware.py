"""Notes which share a browser came through when it places an order, without touching the checkout views."""

from . import services
from .constants import VISITOR_COOKIE
from .cookies import set_visitor_key, shared_visit

ORDERS_KEY = "orders"  # payments' session list of the order numbers this browser placed


class ShareAttributionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Orders are placed by a POST; the session is only read when a share cookie is there, so other pages
        # keep their caching headers.
        visit = shared_visit(request) if request.method == "POST" else None
        before = set(request.session.get(ORDERS_KEY, [])) if visit else set()
        response = self.get_response(request)
        if visit is not None:
            placed = [number for number in request.session.get(ORDERS_KEY, []) if number not in before]
            if placed:
                services.attribution_record_pending(
                    order_numbers=placed,
                    link_id=visit.link_id,
                    clicked_at=visit.clicked_at,
                    visitor_key=request.COOKIES.get(VISITOR_COOKIE, ""),
                    buyer_ip=request.META.get("REMOTE_ADDR") or None,
                )
        new_key = getattr(request, "new_visitor_key", None)  # given at sign-in (receivers.remember_known_device)
        if new_key:
            set_visitor_key(response, new_key)
        return response
