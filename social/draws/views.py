from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .exceptions import DrawError


def draw_list(request):
    return render(request, "draws/list.html", {"draws": list(selectors.draws_public()[:50]), "now": timezone.now()})


def draw_detail(request, slug: str):
    draw = selectors.draw_public_get(slug=slug)
    if draw is None:
        raise Http404
    now = timezone.now()
    entry = selectors.draw_entry_of(draw=draw, user=request.user)
    return render(
        request,
        "draws/detail.html",
        {
            "draw": draw,
            "now": now,
            "is_open": selectors.draw_is_open(draw=draw, now=now),
            "not_started": now < draw.starts_at,
            "has_ended": now > draw.ends_at,
            "entry": entry,
            "entry_count": draw.entries.count(),
            "rule_text": selectors.draw_rule_unmet_message(draw=draw),
            "products": list(draw.products.all()) if draw.rule == draw.Rule.PURCHASE else [],
            "winners": selectors.draw_winners_public(draw=draw),
            "won": entry is not None and hasattr(entry, "win"),
        },
    )


@login_required
@require_POST
def draw_enter(request, slug: str):
    draw = selectors.draw_public_get(slug=slug)
    if draw is None:
        raise Http404
    try:
        services.draw_enter(draw=draw, user=request.user)
    except DrawError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("You have entered the draw. Good luck! Winners are notified by message."))
    return redirect(draw.get_absolute_url())
