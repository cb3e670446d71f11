"""The account's notification settings, the one-click unsubscribe page and the LINE official account's webhook."""

import base64
import hashlib
import hmac
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, services
from .forms import PreferencesForm, UnsubscribeForm
from .kinds import GROUPS
from .models import Channel, LineLink, LineLinkCode


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    grid = selectors.preference_grid(user=request.user)
    consented = selectors.marketing_consented(user=request.user)
    if request.method == "POST":
        form = PreferencesForm(request.POST, grid=grid)
        if form.is_valid():
            services.preferences_save(
                user=request.user,
                choices=form.choices(),
                marketing_consent=form.cleaned_data["marketing_consent"],
            )
            messages.success(request, _("Your notification settings have been saved."))
            return redirect("notifications:preferences")
        messages.error(request, _("Your settings could not be saved. Please try again."))
    else:
        form = PreferencesForm(grid=grid, initial={"marketing_consent": consented})
    rows = [(row, [form[cell.name] for cell in row.cells]) for row in grid]
    code = LineLinkCode.objects.filter(user=request.user, expires_at__gt=timezone.now()).first()
    return render(
        request,
        "notifications/preferences.html",
        {
            "account_section": "notifications",
            "form": form,
            "rows": rows,
            "channels": Channel.choices,
            "line_link": LineLink.objects.filter(user=request.user).first(),
            "line_available": selectors.line_configured(),
            "line_code": code,
            "line_add_friend_url": settings.LINE_ADD_FRIEND_URL,
        },
    )


@login_required
@require_POST
def line_code(request):
    services.line_link_code_create(user=request.user)
    return redirect("notifications:preferences")


@login_required
@require_POST
def line_unlink(request):
    services.line_unlink(user=request.user)
    messages.success(request, _("Your LINE account is no longer linked."))
    return redirect("notifications:preferences")


# The signed token is the credential (no sign-in from a mail client), and RFC 8058 one-click unsubscribe is a POST
# from the mail provider without any CSRF token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    data = selectors.unsubscribe_token_read(token=token)
    user = get_user_model().objects.filter(pk=data["user_id"]).first() if data else None
    if user is None:
        return render(request, "notifications/unsubscribe_invalid.html", status=404)
    group = GROUPS[data["group"]]
    context = {"group": group, "channel_label": Channel(data["channel"]).label}
    if request.method == "POST":
        if request.POST.get("List-Unsubscribe") == "One-Click":
            services.notification_unsubscribe(
                user=user, group=group.code, channel=data["channel"], source="list-unsubscribe"
            )
            return render(request, "notifications/unsubscribe_done.html", context)
        form = UnsubscribeForm(request.POST)
        if form.is_valid():
            services.notification_unsubscribe(
                user=user,
                group=group.code,
                channel=data["channel"],
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
                source="unsubscribe-page",
            )
            return render(request, "notifications/unsubscribe_done.html", context)
    else:
        form = UnsubscribeForm()
    return render(request, "notifications/unsubscribe.html", {**context, "form": form})


def _line_signature_valid(body: bytes, signature: str) -> bool:
    secret = settings.LINE_CHANNEL_SECRET
    if not secret or not signature:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, signature)


@csrf_exempt
@require_POST
def line_webhook(request):
    """LINE signs the raw body with the channel secret (X-Line-Signature); anything else is refused unread."""
    if not _line_signature_valid(request.body, request.headers.get("X-Line-Signature", "")):
        return HttpResponseBadRequest("bad signature")
    try:
        payload = json.loads(request.body)
    except ValueError:
        return HttpResponseBadRequest("bad body")
    events = payload.get("events") if isinstance(payload, dict) else None
    services.line_webhook_events_handle(events=[event for event in events or [] if isinstance(event, dict)])
    return HttpResponse("OK")
