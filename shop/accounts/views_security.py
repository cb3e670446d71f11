"""The security page of the account area (/account/security/): password, e-mail addresses, sessions and two-factor,
and the page that asks a signed-in user with two-factor for their code."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from . import otp
from .forms_2fa import DisableForm, TotpConfirmForm, VerifyForm


def _code_error(error: otp.TwoFactorError) -> str:
    if error.locked_until is not None:
        seconds = error.wait_seconds
        return ngettext(
            "Too many wrong codes. Wait %(seconds)d second, then try again.",
            "Too many wrong codes. Wait %(seconds)d seconds, then try again.",
            seconds,
        ) % {"seconds": seconds}
    return _("That code is wrong or has already been used. Check it and try again.")


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/"


@login_required
def security(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "account/security/index.html",
        {
            "account_section": "security",
            "totp_enabled": otp.totp_device_get(user=user) is not None,
            "backup_codes_remaining": otp.backup_codes_remaining(user=user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if otp.totp_device_get(user=user) is not None:
        messages.info(request, _("Two-step verification is already on."))
        return redirect("accounts:security")
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = otp.totp_device_confirm(user=user, token=form.cleaned_data["token"])
        except otp.TwoFactorError as error:
            form.add_error("token", _code_error(error))
        else:
            otp.two_factor_session_mark(request=request, device=device)
            messages.success(request, _("Two-step verification is on. From now on, signing in asks for a code."))
            return _backup_codes_page(request, codes=codes)
    setup = otp.totp_setup_get(device=otp.totp_device_start(user=user))
    return render(
        request,
        "account/security/totp_setup.html",
        {"account_section": "security", "setup": setup, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def backup_codes(request: HttpRequest) -> HttpResponse:
    if otp.totp_device_get(user=request.user) is None:
        return redirect("accounts:security")
    codes = otp.backup_codes_regenerate(user=request.user)
    messages.success(request, _("New backup codes made. The old ones no longer work."))
    return _backup_codes_page(request, codes=codes)


def _backup_codes_page(request: HttpRequest, *, codes: list[str]) -> HttpResponse:
    # Shown in this response only: the codes are never put in the session or shown again.
    response = render(request, "account/security/backup_codes.html", {"account_section": "security", "codes": codes})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def disable(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not otp.two_factor_enabled(user=user):
        return redirect("accounts:security")
    form = DisableForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        secret = form.cleaned_data["secret"]
        allowed = user.check_password(secret)
        if not allowed:
            try:
                otp.two_factor_verify(user=user, token=secret)
                allowed = True
            except otp.TwoFactorError as error:
                message = _code_error(error) if error.locked_until else _("That password or code is wrong.")
                form.add_error("secret", message)
        if allowed:
            otp.two_factor_disable(user=user, request=request)
            messages.success(request, _("Two-step verification is off. Signing in needs only your password."))
            return redirect("accounts:security")
    return render(
        request,
        "account/security/disable.html",
        {"account_section": "security", "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("account_login")
    next_url = _next_url(request)
    if request.user.is_verified() or not otp.two_factor_enabled(user=request.user):
        return redirect(next_url)
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            otp.two_factor_session_verify(request=request, token=form.cleaned_data["token"])
        except otp.TwoFactorError as error:
            form.add_error("token", _code_error(error))
        else:
            remaining = otp.backup_codes_remaining(user=request.user)
            if remaining < 3:
                messages.warning(
                    request,
                    ngettext(
                        "Only %(count)d backup code left. Make new ones on the security page.",
                        "Only %(count)d backup codes left. Make new ones on the security page.",
                        remaining,
                    )
                    % {"count": remaining},
                )
            return redirect(next_url)
    return render(
        request,
        "account/security/verify.html",
        {"form": form, "next": next_url},
        status=400 if form.errors else 200,
    )
