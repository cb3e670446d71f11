"""The "おすすめ" block (loaded by htmx when it scrolls into view, so the page around it keeps its query budget)
and the tracked link from a recommended item to its product page."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from shop.catalog.models import Product
from shop.core.params import positive_int
from shop.orders.selectors import cart_find
from social.shares.constants import BOT_UA_RE, VISITOR_COOKIE

from . import selectors, services
from .models import Slot

LANDING_COOKIE = "shop_landing"
_LANDING_MAX_AGE = 60 * 60 * 24 * 30


def _visitor_key(request) -> str:
    key = request.COOKIES.get(VISITOR_COOKIE, "")
    return key if len(key) == 32 and key.isalnum() else ""


def _is_bot(request) -> bool:
    return bool(BOT_UA_RE.search(request.META.get("HTTP_USER_AGENT", "")))


@never_cache
@require_GET
def block(request, slot: str):
    if slot not in Slot.values:
        raise Http404
    user = request.user
    personal = selectors.personalisation_allowed(user=user)
    product_id = positive_int(request.GET.get("p"))
    category_id = positive_int(request.GET.get("c"))
    landing = positive_int(request.COOKIES.get(LANDING_COOKIE))
    cart_product_ids: list[int] = []
    if slot == Slot.PRODUCT:
        if product_id is None:
            raise Http404
        if not _is_bot(request) and (personal or not user.is_authenticated):
            # A member's views are kept only with the personalisation consent; a guest's by the visitor cookie.
            services.product_view_record(
                product_id=product_id,
                user_id=user.pk if personal else None,
                visitor_key="" if personal else _visitor_key(request),
                day=timezone.localdate(),
            )
    elif slot == Slot.CART:
        cart = cart_find(user=user, session=request.session)
        if cart is not None:
            cart_product_ids = sorted({pid for pid in cart.lines.values_list("variant__product_id", flat=True)})
    recs = selectors.recommendations_for_page(
        slot=slot,
        user=user,
        personal=personal,
        product_id=product_id,
        category_id=category_id,
        cart_product_ids=cart_product_ids,
        landing_category_id=landing,
    )
    if recs.products:
        services.recommendation_impression_record(slot=slot)
        response = render(request, "recommend/_block.html", {"recs": recs})
    else:
        response = HttpResponse("")
    if slot == Slot.PRODUCT and category_id and landing is None:
        # New visitors are shown what is popular in the category they came in through.
        response.set_cookie(LANDING_COOKIE, str(category_id), max_age=_LANDING_MAX_AGE, httponly=True, samesite="Lax")
    return response


@never_cache
def click(request, slot: str, product_id: int):
    """Counts the click and opens the product page (only ever a product page: nothing else can be a target)."""
    if slot not in Slot.values:
        raise Http404
    product = get_object_or_404(Product, pk=product_id)
    if not _is_bot(request):
        services.recommendation_click_record(
            slot=slot, product_id=product.pk, user=request.user, visitor_key=_visitor_key(request)
        )
    return redirect(product.get_absolute_url())
