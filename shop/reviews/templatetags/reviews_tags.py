"""Review data for catalog templates. Catalog code may not import reviews (a higher layer), but its templates may
load this library. Each tag runs a fixed number of queries; the stars of cards and of a product's summary come from
the figures stored on the product (Product.review_count, rating_average, rating_counts) with none."""

import functools

from django import template
from django.utils import timezone
from django.utils.html import escape, linebreaks
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from shop.catalog.templatetags.catalog_tags import stars_html
from shop.core import links
from shop.core.html import csrf_input
from shop.core.params import positive_int

from .. import selectors

register = template.Library()


def review_list_context(*, request, product, summary) -> dict:
    """What the reviews list needs, from the request's rsort, rstars, rphotos and rpage parameters and the product's
    ReviewSummary (selectors.review_summary: no query for a product without published reviews)."""
    params = request.GET.dict() if request.GET else {}  # a plain dict: a missing key raises nothing to catch
    sort = params.get("rsort", "newest")
    if sort not in selectors.SORTS:
        sort = "newest"
    stars = positive_int(params.get("rstars"))
    if stars not in range(1, 6):
        stars = None
    page_number = positive_int(params.get("rpage")) or 1
    with_photos = params.get("rphotos") == "1"
    page = selectors.review_list_published(
        product_id=product.pk,
        sort=sort,
        stars=stars,
        with_photos=with_photos,
        page=page_number,
        user=request.user,
        published_count=summary.count,
        first_page_rows=getattr(product, "first_reviews", None),  # read with the product page's statement
    )
    return {
        "product": product,
        "page": page,
        "sort": sort,
        "stars": stars,
        "with_photos": with_photos,
        **_filter_choices(get_language()),
        "request": request,
        "user": request.user,
    }


@functools.lru_cache(maxsize=16)
def _filter_choices(language: str | None) -> dict:
    """The sort and star options of the reviews list, as text in the language (every product page shows them)."""
    return {
        "sorts": [(key, str(label)) for key, label in selectors.SORT_LABELS.items()],
        "star_choices": [(n, star_count(n)) for n in range(5, 0, -1)],
    }


_LOOK_UP = object()


def product_reviews(context, product, own_review=_LOOK_UP):
    """The reviews section of a product page: summary, distribution, the viewer's own review and one page of reviews
    (one query, none for a product without published reviews, given the own review if the page already loaded it):
    jinja_templates/reviews/_section.html."""
    request = context["request"]
    summary = selectors.review_summary(product)
    data = review_list_context(request=request, product=product, summary=summary)
    data["summary"] = summary
    if own_review is _LOOK_UP:
        own_review = selectors.review_get_own(user=request.user, product_id=product.pk)
    data["own_review"] = own_review
    return data


@register.inclusion_tag("reviews/_featured.html")
def featured_reviews(limit=6):
    reviews = selectors.review_list_featured(limit=limit)
    for review in reviews:
        review.reviewer_name = selectors.reviewer_name(review)
        review.photo_names = selectors.review_photo_names(review)
    return {"reviews": reviews}


@register.simple_tag
def review_stars(rating):
    return mark_safe(stars_html(rating))  # noqa: S308 - fixed markup


@register.filter
def media_url(name: str) -> str:
    return links.media_url(name)


# The plurals of the Jinja2 reviews templates (shop/jinja_env.py: makemessages finds ngettext here, not there).
def review_count(n: int) -> str:
    return ngettext("%(n)s review", "%(n)s reviews", n) % {"n": n}


def review_count_short(n: int) -> str:
    return ngettext("(%(n)s review)", "(%(n)s reviews)", n) % {"n": n}


def star_count(n: int) -> str:
    return ngettext("%(n)s star", "%(n)s stars", n) % {"n": n}


def review_items(reviews, *, csrf_token: str, next_path: str) -> str:
    """The <li> of each review of a product's list (selectors.PublishedReview, ten a page), made in Python: as a Jinja
    loop, with the Helpful form, the time and the texts of each, a review cost about 0.1 ms of CPU. What a review
    shows of itself is made once per process for the same values (`_review_content`); its Helpful form, which holds
    the page's CSRF token and path, on every view."""
    language = get_language()
    texts = _item_texts(language)
    zone = timezone.get_current_timezone()
    media_url = links.media_urls()
    csrf_field, next_value = csrf_input(csrf_token), escape(next_path)
    items = (
        _review_content(
            language,
            zone,
            media_url,
            review.pk,
            review.rating,
            review.title,
            review.body,
            review.created_at,
            review.is_featured,
            review.verified_purchase,
            review.reviewer_name,
            review.photo_names,
        )
        + f"{_helpful_form(review, texts, csrf_field, next_value)}\n</li>\n"
        for review in reviews
    )
    return mark_safe("".join(items))  # noqa: S308 - fixed markup and escaped values


@functools.lru_cache(maxsize=2048)
def _review_content(
    language: str | None,
    zone,
    media_url,
    pk: int,
    rating: int,
    title: str,
    body: str,
    created_at,
    is_featured: bool,
    verified_purchase: bool,
    reviewer_name: str,
    photo_names: tuple[str, ...],
) -> str:
    """A review's <li> up to its Helpful form, from these values only (remembered: a product's first page of reviews
    is the same view after view; its time, paragraphs and escaping were most of a review's markup)."""
    texts = _item_texts(language)
    tags = (texts["featured"] if is_featured else "") + (texts["verified"] if verified_purchase else "")
    photos = ""
    if photo_names:
        alt = texts["photo_alt"]
        photos = "".join(
            f'<li><a href="{url}"><img src="{url}" alt="{alt}" loading="lazy" width="96" height="96"></a></li>'
            for url in (escape(media_url(name) if name else "") for name in photo_names)
        )
        photos = f'<ul class="review-photos">{photos}</ul>'
    return (
        f'<li class="review{" featured" if is_featured else ""}" id="review-{pk}">\n'
        f'<p class="meta">{stars_html(rating)}{texts["stars"][rating]}{tags}</p>\n'
        f"<h3>{escape(title)}</h3>\n"
        f'<p class="by">{escape(reviewer_name)} · {review_time(created_at, zone)}</p>\n'
        f'<div class="prose">{linebreaks(body, autoescape=True)}</div>\n'
        f"{photos}"
    )


@functools.lru_cache(maxsize=16)
def _item_texts(language: str | None) -> dict:
    """The fixed texts of a review's <li>, escaped, in the language (each a translation lookup per review before)."""
    stars = {n: _("%(n)s out of 5 stars") % {"n": n} for n in range(1, 6)}
    featured, verified, photo_alt = _("Featured"), _("Verified purchase"), _("Photo from the reviewer")
    return {
        "stars": {n: f'<span class="visually-hidden">{escape(text)}</span>' for n, text in stars.items()},
        "featured": f'<span class="tag">{escape(featured)}</span>',
        "verified": f'<span class="tag verified">{escape(verified)}</span>',
        "photo_alt": escape(photo_alt),
        "helpful": escape(_("Helpful")),
        "language": language,
    }


def helpful_form(*, review, csrf_token: str, next_path: str) -> str:
    """A review's "Helpful" vote form: on the product page's list of reviews (review_items) and as the answer to an
    htmx vote. Made in Python, its one home."""
    texts = _item_texts(get_language())
    return mark_safe(_helpful_form(review, texts, csrf_input(csrf_token), escape(next_path)))  # noqa: S308 - escaped


def _helpful_form(review, texts: dict, csrf_field: str, next_value: str) -> str:
    url = escape(links.reverse_cached("reviews:helpful", review_id=review.pk))
    voted = ' disabled aria-pressed="true"' if getattr(review, "voted", False) else ""
    return (
        f'<form class="helpful" method="post" action="{url}" hx-post="{url}" hx-target="this" hx-swap="outerHTML">\n'
        f"  {csrf_field}"
        f'<input type="hidden" name="next" value="{next_value}#review-{review.pk}">\n'
        f'  <button type="submit"{voted}>{texts["helpful"]}</button>\n'
        f'  <span class="count" data-helpful-count>{_helpful_count(texts["language"], review.helpful_count)}</span>\n'
        "</form>"
    )


@functools.lru_cache(maxsize=512)
def _helpful_count(language: str | None, n: int) -> str:
    return escape(ngettext("%(n)s person found this helpful", "%(n)s people found this helpful", n) % {"n": n})


def helpful_error(message: str) -> str:
    """What an htmx vote gets back in the form's place when it cannot be counted."""
    return mark_safe(f'<p class="helpful error" role="alert">{escape(message)}</p>')  # noqa: S308 - escaped


def review_time(value, zone=None) -> str:
    """A review's date as <time>: what Django's `date` filter gives for "c" and "Y/m/d" in the current time zone (or
    `zone`), without formatting through it twice for each of the ten reviews of a page (about 15 µs a review)."""
    local = timezone.localtime(value, zone)
    return mark_safe(  # noqa: S308 - no text
        f'<time datetime="{local.isoformat()}">{local.year:04d}/{local.month:02d}/{local.day:02d}</time>'
    )
