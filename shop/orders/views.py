from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .exceptions import CartError
from .forms import AddToCartForm, LineQuantityForm
from .links import order_access_key_valid


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


def _cart_response(request, *, message: str, ok: bool, cart_count: int | None = None):
    """htmx requests get the cart fragment and the new badge; plain form posts get a redirect with a message.

    cart_count: the units in the cart when the caller knows them already (saves the badge its query)."""
    if request.htmx:
        # htmx swaps only 2xx responses, so errors come back as 200 with an error fragment.
        if request.POST.get("from") == "cart":
            cart = selectors.cart_find(user=request.user, session=request.session)
            context = {"cart": selectors.cart_view(cart=cart), "flash": message, "flash_ok": ok}
            return render(request, "orders/_cart_body.html", context)
        if cart_count is None:
            cart_count = selectors.cart_item_count(user=request.user, session=request.session)
        return render(request, "orders/_added.html", {"cart_count": cart_count, "flash": message, "flash_ok": ok})
    (messages.success if ok else messages.error)(request, message)
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("orders:cart")


def cart_detail(request):
    cart = selectors.cart_find(user=request.user, session=request.session)
    return render(request, "orders/cart.html", {"cart": selectors.cart_view(cart=cart)})


@require_POST
def cart_add(request):
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        return _cart_response(request, message=_first_error(form), ok=False)
    try:
        line = services.cart_add_for_shopper(
            user=request.user,
            session=request.session,
            variant_id=form.cleaned_data["variant"],
            quantity=form.cleaned_data["quantity"],
        )
    except CartError as error:
        return _cart_response(request, message=str(error), ok=False)
    message = _("Added “%(item)s” to your cart.") % {"item": line.variant}
    return _cart_response(request, message=message, ok=True, cart_count=line.cart_units)


@require_POST
def cart_line_update(request, line_id: int):
    form = LineQuantityForm(request.POST)
    cart = selectors.cart_find(user=request.user, session=request.session)
    if not form.is_valid():
        return _cart_response(request, message=_first_error(form), ok=False)
    try:
        if cart is None:
            raise CartError(_("That item is no longer in your cart."))
        services.cart_line_set_quantity(cart=cart, line_id=line_id, quantity=form.cleaned_data["quantity"])
    except CartError as error:
        return _cart_response(request, message=str(error), ok=False)
    return _cart_response(request, message=_("Your cart has been updated."), ok=True)


@require_POST
def cart_line_remove(request, line_id: int):
    cart = selectors.cart_find(user=request.user, session=request.session)
    try:
        if cart is None:
            raise CartError(_("That item is no longer in your cart."))
        services.cart_line_remove(cart=cart, line_id=line_id)
    except CartError as error:
        return _cart_response(request, message=str(error), ok=False)
    return _cart_response(request, message=_("The item has been removed from your cart."), ok=True)


@login_required
def order_list(request):
    return render(request, "orders/order_list.html", {"orders": selectors.order_list_for_user(user=request.user)})


def order_detail(request, number: str):
    if order_access_key_valid(number, request.GET.get("k", "")):
        # The signed link from the e-mail: this browser may now see and pay the order.
        known = request.session.get("orders", [])
        if number not in known:
            request.session["orders"] = [*known[-19:], number]
    order = selectors.order_for_visitor(
        number=number, user=request.user, session_numbers=request.session.get("orders", [])
    )
    if order is None:
        raise Http404
    order = selectors.order_detail(order=order)
    events = [event for event in order.events.all() if event.is_public]
    return render(request, "orders/order_detail.html", {"order": order, "events": events})
