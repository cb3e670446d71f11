"""Reads for reviews. Every function runs a fixed number of queries whatever the number of reviews or products."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from shop.accounts.selectors import user_email_verified
from shop.core.compiled import CompiledQuery
from shop.core.jsonrows import JSONRows, datetime_value, decoded
from shop.orders.models import Order, OrderLine

from .models import MAX_PHOTOS, Review, ReviewPhoto, ReviewRequestItem, ReviewVote

# Orders that count as "bought it": money received and not refunded.
PURCHASED_STATUSES = (
    Order.Status.PAID,
    Order.Status.PROCESSING,
    Order.Status.SHIPPED,
    Order.Status.DELIVERED,
)

SORTS = {
    "newest": ("-created_at", "-id"),
    "highest": ("-rating", "-created_at", "-id"),
    "lowest": ("rating", "-created_at", "-id"),
    "helpful": ("-helpful_count", "-created_at", "-id"),
}
SORT_LABELS = {
    "newest": _("Newest"),
    "highest": _("Highest rating"),
    "lowest": _("Lowest rating"),
    "helpful": _("Most helpful"),
}
PAGE_SIZE = 10


@dataclass
class ReviewSummary:
    count: int = 0
    average: float | None = None
    distribution: dict[int, int] = field(default_factory=lambda: {star: 0 for star in range(5, 0, -1)})

    @property
    def rows(self) -> list[dict]:
        """5 to 1 stars with their count and share in percent, for the distribution bars."""
        return [
            {"stars": star, "count": n, "percent": round(100 * n / self.count) if self.count else 0}
            for star, n in self.distribution.items()
        ]


@dataclass(frozen=True, slots=True)
class PublishedReview:
    """A review as a product's list of reviews shows it: the columns it reads, not a Review and its reviewer (whose
    instances cost the ORM more than the rest of the list)."""

    pk: int
    rating: int
    title: str
    body: str
    created_at: datetime
    is_featured: bool
    verified_purchase: bool
    helpful_count: int
    reviewer_name: str
    photo_names: tuple[str, ...]
    voted: bool = False  # by the viewer


@dataclass
class ReviewPage:
    reviews: list[PublishedReview]
    number: int
    has_next: bool
    has_previous: bool


def review_summary(product) -> ReviewSummary:
    """The product's published-review average and distribution, from the figures stored on it (no query: see
    services.product_rating_refresh)."""
    counts = product.rating_counts or [0] * 5
    return ReviewSummary(
        count=product.review_count,
        average=product.rating_average,
        distribution={star: counts[star - 1] for star in range(5, 0, -1)},
    )


def rating_figures(*, product_id: int) -> dict:
    """Product.review_count, rating_average and rating_counts, counted from the product's published reviews."""
    per_rating = dict(
        Review.objects.filter(product_id=product_id, status=Review.Status.PUBLISHED)
        .order_by()
        .values_list("rating")
        .annotate(n=Count("id"))
    )
    count = sum(per_rating.values())
    return {
        "review_count": count,
        "rating_average": round(sum(r * n for r, n in per_rating.items()) / count, 1) if count else None,
        "rating_counts": [per_rating.get(star, 0) for star in range(1, 6)] if count else [],
    }


def _with_photos(queryset):
    """The paths of the review's first MAX_PHOTOS photos, in order, as one JSON column of the same query
    (`photos_data`: no query per review, no prefetch). One subquery per review: a column per photo had PostgreSQL
    run four (each an index scan and a sort) for every review of the list."""
    photos = ReviewPhoto.objects.filter(review=OuterRef("pk")).order_by("position", "id")[:MAX_PHOTOS]
    return queryset.annotate(photos_data=JSONRows(photos, ("image",)))


def _photo_names(photos_data) -> tuple[str, ...]:
    return tuple(row["image"] for row in decoded(photos_data) if row["image"])


def review_photo_names(review: Review) -> list[str]:
    return list(_photo_names(getattr(review, "photos_data", None)))


def review_list_published(
    *,
    product_id: int,
    sort: str = "newest",
    stars: int | None = None,
    with_photos: bool = False,
    page: int = 1,
    user=None,
    published_count: int | None = None,
    first_page_rows=None,
) -> ReviewPage:
    """One page of a product's published reviews, featured first, in one query (photos and the viewer's votes
    included). Pages are found by fetching one row more than shown, so no COUNT query is needed.

    published_count: the product's number of published reviews when the caller has it (Product.review_count);
    with none (most products) the page is empty without a query. first_page_rows: the first page as the product
    page's statement read it (`first_reviews`, product_page_review_columns), used for that page without a query."""
    page = max(1, page)
    if published_count == 0:
        return ReviewPage(reviews=[], number=page, has_next=False, has_previous=page > 1)
    sort = sort if sort in SORTS else "newest"
    stars = stars if stars in range(1, 6) else None
    if first_page_rows is not None and (page, sort, stars, bool(with_photos)) == (1, "newest", None, False):
        rows = [_first_page_row(row) for row in decoded(first_page_rows)]
    else:
        rows = _PUBLISHED.values(
            product_id=product_id,
            viewer_id=user.pk if user is not None and user.is_authenticated else None,
            sort=sort,
            stars=stars,
            with_photos=bool(with_photos),
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )
    reviews = [
        PublishedReview(
            pk=row["id"],
            rating=row["rating"],
            title=row["title"],
            body=row["body"],
            created_at=row["created_at"],
            is_featured=row["is_featured"],
            verified_purchase=row["verified_purchase"],
            helpful_count=row["helpful_count"],
            reviewer_name=public_name(row["reviewer"]),
            photo_names=_photo_names(row["photos_data"]),
            voted=row.get("voted", False),
        )
        for row in rows[:PAGE_SIZE]
    ]
    return ReviewPage(reviews=reviews, number=page, has_next=len(rows) > PAGE_SIZE, has_previous=page > 1)


def _published_queryset(*, product_id, viewer_id, sort, stars, with_photos):
    queryset, columns = _published_list(product_id=product_id, viewer_id=viewer_id, sort=sort, stars=stars)
    if with_photos:
        queryset = queryset.filter(Exists(ReviewPhoto.objects.filter(review=OuterRef("pk"))))
    return queryset.values(*columns, reviewer=F("user__display_name"))


def _published_list(*, product_id, viewer_id, sort, stars):
    """The list's queryset, in its order, and the names of its columns but the reviewer's name."""
    queryset = Review.objects.filter(product_id=product_id, status=Review.Status.PUBLISHED)
    if stars is not None:
        queryset = queryset.filter(rating=stars)
    columns = ["id", "rating", "title", "body", "created_at", "is_featured", "verified_purchase", "helpful_count"]
    if viewer_id is not None:
        queryset = queryset.annotate(voted=Exists(ReviewVote.objects.filter(review=OuterRef("pk"), user_id=viewer_id)))
        columns.append("voted")
    return _with_photos(queryset).order_by("-is_featured", *SORTS[sort]), [*columns, "photos_data"]


def product_page_review_columns(viewer_id: int | None) -> dict:
    """The first page of the product's reviews as the list first shows it (newest first, no filter), one row more
    than shown, read with the product page's statement (shop.catalog.selectors.product_page_columns_register): its
    own statement was a round trip, and PostgreSQL's and the driver's work per statement, on every product page
    with reviews. Rows as _PUBLISHED gives them, in JSON (`first_reviews`: see review_list_published)."""
    queryset, columns = _published_list(product_id=OuterRef("pk"), viewer_id=viewer_id, sort="newest", stars=None)
    fields = {**{name: name for name in columns}, "reviewer": F("user__display_name")}
    return {"first_reviews": JSONRows(queryset[: PAGE_SIZE + 1], fields)}


def _first_page_row(row: dict) -> dict:
    """A row of `first_reviews` as _PUBLISHED gives it: the time as a datetime, SQLite's 0 and 1 as booleans (a new
    dict: the product's column is left as it was read)."""
    flags = {name: bool(row[name]) for name in ("is_featured", "verified_purchase", "voted") if name in row}
    return {**row, "created_at": datetime_value(row["created_at"]), **flags}


# Compiled once per shape (shop.core.compiled): building the list's query, photo columns and all, cost the ORM about
# 1.5 ms of CPU on every view of a product with reviews. The stars are a shape, not a value: a rating is a small
# integer, out of the compiled markers' range.
_PUBLISHED = CompiledQuery(_published_queryset, "product_id", "viewer_id", shape=("sort", "stars", "with_photos"))


# Compiled once per process (shop.core.compiled): building it, photo columns and all, cost the ORM about 5 ms of CPU
# on every home page.
_FEATURED = CompiledQuery(
    lambda: _with_photos(
        Review.objects.filter(status=Review.Status.PUBLISHED, is_featured=True, product__is_active=True)
        .select_related("user", "product")
        .order_by("-created_at", "-id")
    )
)


def review_list_featured(*, limit: int = 6) -> list[Review]:
    """Featured published reviews of products on sale, for the home page (one query)."""
    return _FEATURED.objects(limit=limit)


def review_get_own(*, user, product_id: int) -> Review | None:
    if user is None or not user.is_authenticated:
        return None
    return Review.objects.filter(user=user, product_id=product_id).first()


def review_get_published(*, review_id: int) -> Review | None:
    return Review.objects.filter(pk=review_id, status=Review.Status.PUBLISHED).select_related("product").first()


def user_bought_product(*, user, product_id: int) -> bool:
    """Whether the user paid for the product: their own orders, and guest orders under their verified address."""
    if user is None or not user.is_authenticated:
        return False
    orders = Q(order__user=user)
    if user_email_verified(user=user):
        orders |= Q(order__user__isnull=True, order__email__iexact=user.email)
    return OrderLine.objects.filter(
        orders, variant__product_id=product_id, order__status__in=PURCHASED_STATUSES
    ).exists()


def review_write_refusal(*, user) -> str:
    """Why the user cannot write a review now, or "" when they can."""
    if user is None or not user.is_authenticated:
        return str(_("Please sign in to write a review."))
    if not user_email_verified(user=user):
        return str(
            _(
                "Please confirm your e-mail address before writing a review. We sent you a link when you signed up; you can send it again from your account page."
            )
        )
    return ""


def reviewer_name(review: Review) -> str:
    return public_name(review.user.display_name)


def public_name(display_name: str | None) -> str:
    """The public name of a reviewer: their display name, never their e-mail address."""
    name = (display_name or "").strip()
    if name and "@" not in name:
        return name
    return str(_("A customer"))


def request_item_for_token(*, item_id: int) -> ReviewRequestItem | None:
    return ReviewRequestItem.objects.select_related("request__order", "product").filter(pk=item_id).first()


def request_item_belongs_to(*, item: ReviewRequestItem, user) -> bool:
    """The link's order must be the user's own, or a guest order placed with their verified address."""
    order = item.request.order
    if order.user_id is not None:
        return order.user_id == user.pk
    return order.email.lower() == user.email.lower() and user_email_verified(user=user)
