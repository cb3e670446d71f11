import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shop.core.params import positive_int

from . import selectors, services
from .exceptions import SocialError
from .forms import CommentForm, MarkForm, OnOffForm, PostForm, ReportForm
from .shares.views import post_cards_prepare
from .templatetags.social_tags import mark_buttons


def _back(request, default: str):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def feed(request):
    tab = request.GET.get("tab", "new")
    if tab not in selectors.TABS:
        tab = "new"
    page = selectors.feed_page(tab=tab, viewer=request.user, page=positive_int(request.GET.get("page")) or 1)
    context = {"tab": tab, "page": page, "posts": page.posts, **post_cards_prepare(request, posts=page.posts)}
    if request.htmx and request.GET.get("page"):
        return render(request, "social/_feed_items.html", context, using="jinja2")
    return render(request, "social/feed.html", context, using="jinja2")


def post_detail(request, post_id: int):
    post = selectors.post_get_for_page(post_id=post_id, viewer=request.user)
    if post is None:
        raise Http404
    return render(
        request,
        "social/post_detail.html",
        {
            "post": post,
            "comments": selectors.post_comments(post=post, viewer=request.user),
            "comment_form": CommentForm(initial={"token": uuid.uuid4().hex}),
            **post_cards_prepare(request, posts=[post]),
        },
    )


@login_required
def post_new(request):
    q = request.GET.get("q", "")[:100]
    found = selectors.products_for_tagging(q=q)
    posted_ids = [i for i in request.POST.getlist("products") if i.isdigit()]
    chosen = selectors.products_for_tagging_by_id(ids=posted_ids) if posted_ids else []
    choices = [
        (p.pk, f"{p.name} {p.price_money.format_tax_included()}")
        for p in {**{p.pk: p for p in found}, **{p.pk: p for p in chosen}}.values()
    ]
    form = PostForm(request.POST or None, request.FILES or None, product_choices=choices)
    if request.method == "POST" and form.is_valid():
        try:
            post = services.post_create(
                author=request.user,
                body=form.cleaned_data["body"],
                photos=form.photos(),
                product_ids=form.cleaned_data["products"],
            )
        except SocialError as error:
            form.add_error(None, str(error))
        else:
            if post.status == post.Status.HELD:
                messages.info(request, _("Thank you. Your post will appear after a quick review."))
            else:
                messages.success(request, _("Your post has been published."))
            return redirect(post.get_absolute_url())
    return render(request, "social/post_new.html", {"form": form, "q": q, "found": found})


@login_required
@require_POST
def like(request, post_id: int):
    form = OnOffForm(request.POST)
    form.is_valid()
    try:
        post = services.like_set(user=request.user, post_id=post_id, on=form.cleaned_data.get("on", False))
    except SocialError as error:
        if request.htmx:
            return render(request, "social/_error.html", {"message": str(error)})
        messages.error(request, str(error))
        return _back(request, "social:feed")
    post.liked = form.cleaned_data.get("on", False)
    if request.htmx:
        return render(request, "social/_like.html", {"post": post})
    return _back(request, post.get_absolute_url())


@login_required
@require_POST
def comment(request, post_id: int):
    form = CommentForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.comment_add(
                user=request.user,
                post_id=post_id,
                body=form.cleaned_data["body"],
                parent_id=form.cleaned_data["parent"],
                client_token=form.cleaned_data["token"],
            )
        except SocialError as exc:
            error = str(exc)
    else:
        error = next(iter(form.errors.values()))[0]
    if request.htmx:
        post = selectors.post_get_for_page(post_id=post_id, viewer=request.user)
        if post is None:
            raise Http404
        return render(
            request,
            "social/_comments.html",
            {
                "post": post,
                "comments": selectors.post_comments(post=post, viewer=request.user),
                "comment_form": CommentForm(initial={"token": uuid.uuid4().hex}),
                "comment_error": error,
            },
        )
    if error:
        messages.error(request, error)
    return redirect("social:post", post_id=post_id)


@login_required
@require_POST
def report(request):
    form = ReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose a reason."))
        return _back(request, "social:feed")
    try:
        services.report_create(
            reporter=request.user,
            reason=form.cleaned_data["reason"],
            post_id=form.cleaned_data["post"],
            comment_id=form.cleaned_data["comment"],
        )
    except SocialError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Thank you for your report. Our staff will check it."))
    return _back(request, "social:feed")


@login_required
@require_POST
def mark(request):
    form = MarkForm(request.POST)
    if not form.is_valid():
        raise Http404
    product_id = form.cleaned_data["product"]
    try:
        services.product_mark_set(
            user=request.user, product_id=product_id, kind=form.cleaned_data["kind"], on=form.cleaned_data["on"]
        )
    except SocialError as error:
        if request.htmx:
            return render(request, "social/_error.html", {"message": str(error)})
        messages.error(request, str(error))
        return _back(request, "social:feed")
    if request.htmx:
        marks = selectors.product_marks_of(viewer=request.user, product_id=product_id)
        next_path = request.POST.get("next", "")
        return HttpResponse(
            mark_buttons(product_id=product_id, marks=marks, csrf_token=get_token(request), next_path=next_path)
        )
    return _back(request, "social:feed")


@login_required
@require_POST
def follow(request, user_id: int | None = None):
    form = OnOffForm(request.POST)
    form.is_valid()
    on = form.cleaned_data.get("on", False)
    if user_id is not None and selectors.user_get_public(user_id=user_id) is None:
        raise Http404
    try:
        services.follow_set(follower=request.user, followee_id=user_id, on=on)
    except SocialError as error:
        messages.error(request, str(error))
        return _back(request, "social:feed")
    if request.htmx:
        return render(request, "social/_follow.html", {"followee_id": user_id, "following": on})
    return _back(request, "social:feed")


def profile(request, user_id: int):
    person = selectors.user_get_public(user_id=user_id)
    if person is None:
        raise Http404
    return render(
        request,
        "social/profile.html",
        {
            "person": person,
            "posts": selectors.profile_posts(user=person, viewer=request.user, kind="post"),
            "wants": selectors.profile_posts(user=person, viewer=request.user, kind="want"),
            "owns": selectors.profile_posts(user=person, viewer=request.user, kind="own"),
            "following": selectors.follow_state(follower=request.user, followee_id=person.pk),
            "counts": selectors.follow_counts(user=person),
            "is_self": request.user.is_authenticated and request.user.pk == person.pk,
        },
    )
