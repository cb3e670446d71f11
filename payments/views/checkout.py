import uuid

from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shop.accounts.selectors import address_default
from shop.accounts.services import address_remember
from shop.orders.exceptions import CheckoutError, OrderStateError
from shop.orders.models import Order
from shop.orders.selectors import cart_find, cart_view, order_for_visitor
from shop.orders.services import CheckoutDetails

from .. import gateway, selectors, services
from ..exceptions import PaymentError
from ..forms import CheckoutForm, DiscountForm, SwitchMethodForm

DRAFT_KEY = "checkout_draft"
TOKEN_KEY = "checkout_token"  # noqa: S105 - a session key name, not a secret
ORDERS_KEY = "orders"


def _payment_codes(total_before_fee: int) -> list[str]:
    return [o.code for o in services.payment_method_options(total_before_fee=total_before_fee) if o.available]


def checkout(request):
    cart = cart_find(user=request.user, session=request.session)
    view = cart_view(cart=cart)
    if not view.lines:
        messages.info(request, _("Your cart is empty."))
        return redirect("orders:cart")
    # Cash on delivery's limit counts what the driver collects: the cheapest shipping is the least it can be.
    shipping_options = selectors.shipping_options(subtotal=view.total.amount)
    cheapest_shipping = min((option.fee.amount for option in shipping_options), default=0)
    codes = _payment_codes(view.total.amount + cheapest_shipping)
    if request.method == "POST":
        form = CheckoutForm(request.POST, payment_codes=codes)
        if form.is_valid():
            draft = {**form.cleaned_data, "shipping_method": form.cleaned_data["shipping_method"].pk}
            request.session[DRAFT_KEY] = draft
            request.session[TOKEN_KEY] = str(uuid.uuid4())
            return redirect("payments:review")
    else:
        initial = dict(request.session.get(DRAFT_KEY) or {})
        saved = address_default(user=request.user)
        if saved and not initial:
            initial.update(saved.as_dict())
        if request.user.is_authenticated:
            initial.setdefault("email", request.user.email)
        form = CheckoutForm(initial=initial, payment_codes=codes)
    return render(
        request,
        "payments/checkout.html",
        {
            "form": form,
            "cart": view,
            "payment_options": services.payment_method_options(total_before_fee=view.total.amount),
            "default_payment": codes[0] if codes else "",
            "shipping_options": shipping_options,
        },
    )


def _details(draft: dict) -> CheckoutDetails:
    return CheckoutDetails(
        email=draft["email"],
        name=draft["name"],
        postal_code=draft["postal_code"],
        prefecture=draft["prefecture"],
        city=draft["city"],
        street=draft["street"],
        building=draft.get("building", ""),
        phone=draft["phone"],
        shipping_method_id=int(draft["shipping_method"]),
        payment_method=draft["payment_method"],
        language=get_language() or "ja",
    )


def _preview(request, *, draft: dict, cart, coupon_code: str, points: int):
    return selectors.checkout_preview(
        cart=cart,
        shipping_method_id=int(draft["shipping_method"]),
        prefecture=draft["prefecture"],
        payment_method=draft["payment_method"],
        user=request.user,
        coupon_code=coupon_code,
        points=points,
    )


def review(request):
    draft = request.session.get(DRAFT_KEY)
    cart = cart_find(user=request.user, session=request.session)
    if request.method == "POST":
        return _place(request, draft=draft, cart=cart)
    if not draft:
        return redirect("payments:checkout")
    preview = _preview(
        request, draft=draft, cart=cart, coupon_code=draft.get("coupon_code", ""), points=draft.get("points", 0)
    )
    if preview is None:
        return redirect("payments:checkout")
    if preview.pricing.error:
        # What was fine a moment ago may not be any more (the coupon ran out, points were used elsewhere).
        messages.error(request, preview.pricing.error)
    return render(
        request,
        "payments/review.html",
        {
            "draft": draft,
            "preview": preview,
            "token": request.session.get(TOKEN_KEY),
            "payment_label": Order.PaymentMethod(draft["payment_method"]).label,
            "discount_form": DiscountForm(
                initial={"coupon_code": draft.get("coupon_code", ""), "points": draft.get("points") or None}
            ),
            "points_available": selectors.points_available(user=request.user),
        },
    )


@require_POST
def review_discounts(request):
    """Applies (or removes) a coupon and points on the review page; anything that cannot be used changes nothing."""
    draft = request.session.get(DRAFT_KEY)
    cart = cart_find(user=request.user, session=request.session)
    if not draft:
        return redirect("payments:checkout")
    form = DiscountForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("payments:review")
    coupon_code = "" if "remove_coupon" in request.POST else form.cleaned_data["coupon_code"]
    points = 0 if "remove_points" in request.POST else form.cleaned_data["points"] or 0
    preview = _preview(request, draft=draft, cart=cart, coupon_code=coupon_code, points=points)
    if preview is None:
        return redirect("payments:checkout")
    if preview.pricing.error:
        messages.error(request, preview.pricing.error)
        return redirect("payments:review")
    request.session[DRAFT_KEY] = {**draft, "coupon_code": coupon_code, "points": points}
    if coupon_code and "remove_coupon" not in request.POST and coupon_code != draft.get("coupon_code", ""):
        messages.success(request, _("The coupon %(code)s was applied.") % {"code": preview.pricing.coupon.code})
    return redirect("payments:review")


def _place(request, *, draft, cart):
    try:
        token = uuid.UUID(request.POST.get("token", ""))
    except ValueError:
        return redirect("payments:checkout")
    already = Order.objects.filter(checkout_token=token).first()
    if already is not None:
        # The same form sent again (double click, reload): show the order it placed.
        if already.number in request.session.get(ORDERS_KEY, []):
            return _after_placing(already)
        raise Http404
    if not draft or cart is None:
        return redirect("payments:checkout")
    try:
        order = services.checkout_place_order(
            cart=cart,
            checkout_token=token,
            details=_details(draft),
            user=request.user,
            coupon_code=draft.get("coupon_code", ""),
            points=draft.get("points", 0),
        )
    except CheckoutError as error:
        messages.error(request, str(error))
        if draft.get("coupon_code") or draft.get("points"):
            return redirect("payments:review")  # the coupon or the points: the shopper can change them there
        return redirect("orders:cart")
    request.session[ORDERS_KEY] = [*request.session.get(ORDERS_KEY, [])[-19:], order.number]
    request.session.pop(DRAFT_KEY, None)
    request.session.pop(TOKEN_KEY, None)
    if request.user.is_authenticated and draft.get("save_address"):
        address_remember(user=request.user, data=draft)
    return _after_placing(order)


def _after_placing(order: Order):
    if order.payment_method == Order.PaymentMethod.CARD and order.paid_at is None:
        return redirect("payments:pay", number=order.number)
    return redirect("payments:thanks", number=order.number)


def _order(request, number: str) -> Order:
    order = order_for_visitor(number=number, user=request.user, session_numbers=request.session.get(ORDERS_KEY, []))
    if order is None:
        raise Http404
    return order


def pay(request, number):
    order = _order(request, number)
    if order.paid_at is not None or order.payment_method != Order.PaymentMethod.CARD:
        return redirect("payments:thanks", number=order.number)
    if order.status != Order.Status.PENDING_PAYMENT:
        messages.error(request, _("This order is no longer waiting for payment."))
        return redirect("payments:thanks", number=order.number)
    context = {"order": order, "payments": selectors.order_payments(order=order), "switch_form": SwitchMethodForm()}
    try:
        context["card"] = services.card_payment_prepare(order=order, user=request.user)
    except gateway.GatewayError:
        context["card_unavailable"] = True
    except PaymentError as error:
        messages.error(request, str(error))
        return redirect("payments:thanks", number=order.number)
    context["stripe_js_url"] = settings.STRIPE_JS_URL
    return render(request, "payments/pay.html", context)


def _card_json(order: Order, result: services.CardResult) -> JsonResponse:
    body = {"status": result.status, "message": result.message}
    if result.status == "requires_action":
        body["client_secret"] = result.client_secret
    if result.status == "succeeded":
        body["redirect"] = reverse("payments:thanks", kwargs={"number": order.number})
    return JsonResponse(body)


def _card_step(order: Order, step) -> JsonResponse:
    try:
        result = step()
    except PaymentError as error:
        return JsonResponse({"status": "failed", "message": str(error)})
    except gateway.GatewayError:
        return JsonResponse(
            {"status": "failed", "message": _("We could not reach the card company. Please try again.")}
        )
    return _card_json(order, result)


@require_POST
def card_confirm(request, number):
    order = _order(request, number)
    payment_method = request.POST.get("payment_method", "")
    return _card_step(order, lambda: services.card_payment_confirm(order=order, payment_method=payment_method))


@require_POST
def card_complete(request, number):
    order = _order(request, number)
    return _card_step(order, lambda: services.card_payment_complete(order=order))


@require_POST
def switch_method(request, number):
    order = _order(request, number)
    form = SwitchMethodForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose a payment method."))
        return redirect("payments:pay", number=order.number)
    try:
        services.payment_method_switch(
            order_id=order.pk, method=form.cleaned_data["payment_method"], actor=request.user
        )
    except (CheckoutError, OrderStateError, PaymentError) as error:
        messages.error(request, str(error))
        return redirect("payments:pay", number=order.number)
    return redirect("payments:thanks", number=order.number)


def thanks(request, number):
    order = _order(request, number)
    return render(
        request,
        "payments/thanks.html",
        {
            "order": order,
            "bank": selectors.bank_details(),
            "lines": list(order.lines.all()),
            "points_available": selectors.points_available(user=request.user),
        },
    )
