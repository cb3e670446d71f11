from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from shop.orders.selectors import order_for_visitor

from . import selectors, services
from .exceptions import SupportError
from .forms import CustomerReplyForm, InquiryForm
from .models import Inquiry


def _order_from_query(request):
    """?order=<number> from an order page counts only for an order this visitor may see; otherwise it is ignored."""
    number = (request.GET.get("order") or "").strip()[:20]
    if not number:
        return None
    return order_for_visitor(number=number, user=request.user, session_numbers=request.session.get("orders", []))


def contact(request):
    order = _order_from_query(request)
    user = request.user if request.user.is_authenticated else None
    if request.method == "POST":
        form = InquiryForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                inquiry = services.inquiry_create(
                    name=data["name"],
                    email=data["email"],
                    subject=data["subject"],
                    body=data["body"],
                    category=data["category"],
                    user=user,
                    order=order,
                    channel=Inquiry.Channel.ORDER if order is not None else Inquiry.Channel.WEB,
                    ip=request.META.get("REMOTE_ADDR") or None,
                    language=translation.get_language() or "ja",
                )
            except SupportError as error:
                form.add_error(None, str(error))
            else:
                # Held or not, the sender sees the same page: the filter must not tell a spammer what it caught.
                request.session["support_sent"] = inquiry.number
                return redirect("support:contact_sent")
    else:
        initial = {"category": Inquiry.Category.ORDER if order is not None else Inquiry.Category.OTHER}
        if user is not None:
            initial.update(name=user.display_name or "", email=user.email)
        if order is not None:
            initial["subject"] = _("About order %(number)s") % {"number": order.number}
        form = InquiryForm(initial=initial)
    return render(request, "support/contact.html", {"form": form, "order": order})


def contact_sent(request):
    number = request.session.get("support_sent")
    if not number:
        return redirect("support:contact")
    inquiry = Inquiry.objects.filter(number=number).only("number", "user_id").first()
    return render(
        request,
        "support/contact_sent.html",
        {
            "number": number,
            "is_member": request.user.is_authenticated and inquiry is not None and inquiry.user_id == request.user.pk,
        },
    )


@login_required
def inquiry_list(request):
    return render(
        request,
        "support/inquiry_list.html",
        {"inquiries": selectors.inquiry_list_for_user(user=request.user), "account_section": "inquiries"},
    )


@login_required
def inquiry_detail(request, number: str):
    inquiry = selectors.inquiry_for_user(number=number, user=request.user)
    if inquiry is None:
        raise Http404
    form = CustomerReplyForm()
    if request.method == "POST":
        form = CustomerReplyForm(request.POST)
        if form.is_valid():
            try:
                services.inquiry_customer_reply(number=number, user=request.user, body=form.cleaned_data["body"])
            except SupportError as error:
                form.add_error("body", str(error))
            else:
                messages.success(request, _("Your reply has been sent."))
                return redirect("support:inquiry_detail", number=number)
    return render(
        request,
        "support/inquiry_detail.html",
        {"inquiry": inquiry, "history": inquiry.messages.all(), "form": form, "account_section": "inquiries"},
    )


def faq(request):
    page = selectors.faq_search(query=request.GET.get("q", ""), category_slug=request.GET.get("category", ""))
    return render(request, "support/faq.html", {"page": page})
