from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from . import selectors, services
from .constants import BOT_UA_RE
from .cookies import set_shared_visit, set_visitor_key, visitor_key


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
