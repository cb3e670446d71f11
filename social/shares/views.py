from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from . import selectors, services
from .constants import BOT_UA_RE
from .cookies import set_shared_visit, set_visitor_key, shared_visit, visitor_key


def _is_bot(request) -> bool:
    return BOT_UA_RE.search(request.headers.get("User-Agent", "")) is not None


def post_cards_prepare(request, *, posts) -> dict:
    """For a page of post cards: counts their impressions and gives the viewer's share codes, in a fixed number of
    queries (one upsert, and one statement for the codes when signed in) whatever the number of posts.

    Returns the template context the share slot of each card reads.
    """
    post_ids = [post.pk for post in posts]
    if post_ids and not _is_bot(request):
        services.post_impressions_record(post_ids=post_ids)
    codes = {}
    if post_ids and request.user.is_authenticated:
        codes = services.post_share_codes_ensure(sharer=request.user, post_ids=post_ids)
    return {"post_share_codes": codes}


@never_cache
def post_product_go(request, post_id: int, product_id: int):
    """/feed/p/<post>/go/<product>/: counts a tap on a product from a post, then opens the product page."""
    product = selectors.post_tag_target(post_id=post_id, product_id=product_id)
    if product is None:
        raise Http404
    if not _is_bot(request):
        visit = shared_visit(request)
        services.post_product_click_record(post_id=post_id, link_id=visit.link_id if visit else None)
    return redirect(product.get_absolute_url())


def _target_url(link) -> str:
    if link.product_id is not None:
        return link.product.get_absolute_url()
    try:
        return reverse("social:post", kwargs={"post_id": link.post_id})
    except NoReverseMatch:
        raise Http404 from None


@never_cache
def share_open(request, code):
    """/s/<code>/: counts a person's click, remembers the share, and sends everyone (bots too) to the page shared."""
    link = selectors.share_link_get(code=code)
    if link is None:
        raise Http404
    response = redirect(_target_url(link))
    user_agent = request.headers.get("User-Agent", "")
    is_bot = not user_agent or BOT_UA_RE.search(user_agent) is not None
    if is_bot or (request.user.is_authenticated and request.user.pk == link.sharer_id):
        return response
    key, is_new = visitor_key(request)
    services.share_click_record(link=link, visitor_key=key, day=timezone.localdate())
    if is_new:
        set_visitor_key(response, key)
    set_shared_visit(response, link_id=link.pk)
    return response


@login_required
def my_shares(request):
    return render(
        request,
        "shares/my_shares.html",
        {"funnel": selectors.share_funnel(sharer=request.user), "account_section": "shares"},
    )
