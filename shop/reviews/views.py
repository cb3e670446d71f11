from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shop.catalog.models import Product

from . import selectors, services
from .exceptions import ReviewError
from .forms import ReviewForm
from .links import review_request_item_id
from .templatetags.reviews_tags import helpful_error, helpful_form, review_list_context


def _product_or_404(slug: str) -> Product:
    product = Product.objects.filter(slug=slug, is_active=True).first()
    if product is None:
        raise Http404
    return product


@require_GET
def review_list(request, slug):
    """The reviews list alone, for htmx sorting, filtering and paging; without htmx, the product page."""
    product = _product_or_404(slug)
    if not request.htmx:
        query = request.GET.urlencode()
        return redirect(f"{product.get_absolute_url()}{'?' + query if query else ''}#reviews")
    summary = selectors.review_summary(product)
    return render(
        request,
        "reviews/_list.html",
        review_list_context(request=request, product=product, summary=summary),
        using="jinja2",
    )


def _write(request, *, product: Product, action: str, request_item=None):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    refusal = selectors.review_write_refusal(user=request.user)
    own = selectors.review_get_own(user=request.user, product_id=product.pk)
    photos = list(own.photos.all()) if own else []
    context = {"product": product, "review": own, "photos": photos, "refusal": refusal, "action": action}
    if refusal:
        return render(request, "reviews/write.html", context, status=403 if request.method == "POST" else 200)
    initial = {"rating": own.rating, "title": own.title, "body": own.body} if own else None
    form = ReviewForm(request.POST or None, request.FILES or None, initial=initial, existing_photos=photos)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            review = services.review_save(
                user=request.user,
                product=product,
                rating=data["rating"],
                title=data["title"],
                body=data["body"],
                new_photos=data["new_photos"],
                remove_photo_ids=data["remove_photo_ids"],
                request_item=request_item,
            )
        except ReviewError as error:
            form.add_error(None, str(error))
        else:
            if review.status == review.Status.PUBLISHED:
                messages.success(request, _("Thank you for your review. It is now shown on the product page."))
            elif review.status == review.Status.PENDING:
                messages.success(
                    request, _("Thank you for your review. It will be shown after our staff have checked it.")
                )
            else:
                messages.success(request, _("Your review has been saved."))
            return redirect(f"{product.get_absolute_url()}#reviews")
    context["form"] = form
    return render(request, "reviews/write.html", context)


@require_http_methods(["GET", "POST"])
def review_write(request, slug):
    product = _product_or_404(slug)
    return _write(request, product=product, action=reverse("reviews:write", kwargs={"slug": slug}))


@require_http_methods(["GET", "POST"])
def review_request_open(request, token):
    """The link from the review-request e-mail: after sign-in (on any device), the form for that product."""
    item_id = review_request_item_id(token=token)
    item = selectors.request_item_for_token(item_id=item_id) if item_id else None
    if item is None:
        messages.error(request, _("This review link is not valid or has expired."))
        return redirect("catalog:home")
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    product = item.product
    if not selectors.request_item_belongs_to(item=item, user=request.user):
        messages.error(
            request, _("This review link belongs to another account. Please sign in with the account you ordered with.")
        )
        return redirect(product.get_absolute_url())
    if item.used_at is not None:
        messages.info(
            request, _("This review link has already been used. You can edit your review from the product page.")
        )
        return redirect(f"{product.get_absolute_url()}#reviews")
    return _write(request, product=product, action=request.path, request_item=item)


@require_POST
def review_helpful(request, review_id):
    """Helpful vote: htmx gets the button fragment back, a plain form post a redirect with a message."""
    if not request.user.is_authenticated:
        if request.htmx:
            return HttpResponse(helpful_error(_("Please sign in to vote.")))
        return redirect_to_login(request.POST.get("next") or "/")
    try:
        review, _counted = services.review_vote_helpful(user=request.user, review_id=review_id)
    except ReviewError as error:
        if request.htmx:
            return HttpResponse(helpful_error(str(error)))
        messages.error(request, str(error))
        review = None
    else:
        review.voted = True
        if request.htmx:
            return HttpResponse(
                helpful_form(review=review, csrf_token=get_token(request), next_path=request.get_full_path())
            )
        messages.success(request, _("Thank you for your vote."))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = review.product.get_absolute_url() if review else "/"
    return redirect(next_url)
