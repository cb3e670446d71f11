"""The account area's profile and address pages. Forms validate, services write, selectors read."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import AddressForm, ProfileForm
from .services import ADDRESS_FIELDS


def _account_context(request, *, section: str, **context) -> dict:
    return {
        "account_section": section,
        "unverified_email": selectors.user_email_unverified(user=request.user),
        **context,
    }


@login_required
def profile(request):
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, initial={"avatar": user.avatar})
        if form.is_valid():
            data = form.cleaned_data
            services.user_profile_update(
                user=user,
                display_name=data["display_name"],
                birth_month=data["birth_month"],
                gender=data["gender"],
                age_band=data["age_band"],
                avatar=form.avatar_change(),
            )
            messages.success(request, _("Your profile has been saved."))
            return redirect("accounts:profile")
    else:
        form = ProfileForm(
            initial={
                "display_name": user.display_name,
                "avatar": user.avatar,
                "birth_month": user.birth_month or "",
                "gender": user.gender,
                "age_band": user.age_band,
            }
        )
    return render(request, "account/profile/profile.html", _account_context(request, section="profile", form=form))


@login_required
def address_list(request):
    addresses = selectors.address_list(user=request.user)
    return render(
        request,
        "account/profile/address_list.html",
        _account_context(request, section="addresses", addresses=addresses),
    )


@login_required
def address_create(request):
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.address_create(user=request.user, data=form.cleaned_data, make_default=form.cleaned_data["is_default"])
        messages.success(request, _("The address has been added."))
        return redirect("accounts:addresses")
    return render(
        request, "account/profile/address_form.html", _account_context(request, section="addresses", form=form)
    )


def _own_address(request, address_id: int):
    address = selectors.address_get(user=request.user, address_id=address_id)
    if address is None:
        raise Http404
    return address


@login_required
def address_update(request, address_id: int):
    address = _own_address(request, address_id)
    initial = {field: getattr(address, field) for field in ADDRESS_FIELDS} | {"is_default": address.is_default}
    form = AddressForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.address_update(address=address, data=form.cleaned_data, make_default=form.cleaned_data["is_default"])
        messages.success(request, _("The address has been updated."))
        return redirect("accounts:addresses")
    return render(
        request,
        "account/profile/address_form.html",
        _account_context(request, section="addresses", form=form, address=address),
    )


@login_required
@require_POST
def address_delete(request, address_id: int):
    services.address_delete(address=_own_address(request, address_id))
    messages.success(request, _("The address has been deleted."))
    return redirect("accounts:addresses")


@login_required
@require_POST
def address_set_default(request, address_id: int):
    services.address_set_default(address=_own_address(request, address_id))
    messages.success(request, _("The default address has been changed."))
    return redirect("accounts:addresses")
