"""The account privacy area (/account/privacy/), the legal pages (/legal/<kind>/) and the cookie banner."""

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import privacy_selectors as selectors
from . import privacy_services as services
from .forms_privacy import (
    AccountDeleteForm,
    ConsentChangeForm,
    CookieChoiceForm,
    CorrectionRequestForm,
    PolicyAcceptForm,
)
from .middleware_privacy import SESSION_KEY
from .models import Consent, LegalPage, PolicyAcceptance

COOKIE_MAX_AGE = 60 * 60 * 24 * 365


def _safe_next(request, value: str, default: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return default


def _set_cookie(response, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


@login_required
def privacy(request):
    acceptances = PolicyAcceptance.objects.filter(user=request.user).select_related("version__page")
    return render(
        request,
        "account/privacy/index.html",
        {
            "account_section": "privacy",
            "consents": selectors.consent_states(user=request.user),
            "privacy_requests": selectors.privacy_requests_of_user(user=request.user),
            "acceptances": acceptances.order_by("-accepted_at")[:10],
            "correction_form": CorrectionRequestForm(),
        },
    )


@login_required
@require_POST
def consent_change(request):
    form = ConsentChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That choice could not be saved. Please try again."))
        return redirect("accounts:privacy")
    purpose, granted = form.cleaned_data["purpose"], form.cleaned_data["granted"]
    services.consent_record(user=request.user, purpose=purpose, granted=granted, source="account_privacy")
    messages.success(request, _("Your choice has been saved."))
    response = redirect("accounts:privacy")
    if purpose == Consent.Purpose.ANALYTICS:
        _set_cookie(response, selectors.ANALYTICS_COOKIE, "granted" if granted else "denied")
    return response


@login_required
@require_POST
def export_request(request):
    services.privacy_export_request(user=request.user)
    messages.success(request, _("We are preparing your data. The download link appears on this page when it is ready."))
    return redirect("accounts:privacy")


@login_required
def export_download(request, request_id: int):
    privacy_request = selectors.privacy_export_of_owner(user=request.user, request_id=request_id)
    if privacy_request is None:
        raise Http404
    response = FileResponse(
        privacy_request.export_file.open("rb"),
        as_attachment=True,
        filename=f"my-data-{privacy_request.created_at:%Y%m%d}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def correction_request(request):
    form = CorrectionRequestForm(request.POST)
    if form.is_valid():
        services.privacy_correction_request(user=request.user, details=form.cleaned_data["details"])
        messages.success(request, _("Thank you. Staff will check your request and reply by e-mail."))
        return redirect("accounts:privacy")
    return render(
        request,
        "account/privacy/index.html",
        {
            "account_section": "privacy",
            "consents": selectors.consent_states(user=request.user),
            "privacy_requests": selectors.privacy_requests_of_user(user=request.user),
            "correction_form": form,
        },
        status=400,
    )


@login_required
def account_delete(request):
    form = AccountDeleteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.account_delete(user=request.user)
        logout(request)
        messages.success(request, _("Your account has been deleted. Thank you for shopping with us."))
        return redirect("/")
    return render(
        request,
        "account/privacy/delete.html",
        {"account_section": "privacy", "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
def policy_accept(request):
    pending = selectors.legal_versions_to_accept(user=request.user)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""), "/")
    if not pending:
        return redirect(next_url)
    form = PolicyAcceptForm(request.POST or None, initial={"next": next_url})
    if request.method == "POST" and form.is_valid():
        services.legal_versions_accept(user=request.user, version_ids=[version.pk for version in pending])
        request.session[SESSION_KEY] = sorted(selectors.legal_version_ids_requiring_acceptance())
        messages.success(request, _("Thank you. You have accepted the updated documents."))
        return redirect(next_url)
    return render(
        request,
        "account/privacy/accept.html",
        {"pending": pending, "form": form},
        status=400 if form.is_bound else 200,
    )


def legal_page(request, kind: str, version: int | None = None):
    page = get_object_or_404(LegalPage, kind=kind)
    history = selectors.legal_page_history(page=page)
    if not history:
        raise Http404
    shown = history[0] if version is None else next((row for row in history if row.version == version), None)
    if shown is None:
        raise Http404
    return render(request, "legal/page.html", {"page": page, "shown": shown, "history": history})


@require_POST
def cookie_choice(request):
    form = CookieChoiceForm(request.POST)
    next_url = _safe_next(request, request.POST.get("next", ""), "/")
    if not form.is_valid():
        return redirect(next_url)
    granted = form.cleaned_data["choice"] == "accept"
    response = redirect(next_url)
    visitor_id = request.COOKIES.get(selectors.VISITOR_COOKIE, "")
    if request.user.is_authenticated:
        services.consent_record(
            user=request.user, purpose=Consent.Purpose.ANALYTICS, granted=granted, source="cookie_banner"
        )
    else:
        if len(visitor_id) != 32 or not visitor_id.isalnum():
            visitor_id = secrets.token_hex(16)
            _set_cookie(response, selectors.VISITOR_COOKIE, visitor_id)
        services.consent_record(
            visitor_id=visitor_id, purpose=Consent.Purpose.ANALYTICS, granted=granted, source="cookie_banner"
        )
    _set_cookie(response, selectors.ANALYTICS_COOKIE, "granted" if granted else "denied")
    messages.success(request, _("Your cookie choice has been saved."))
    return response
