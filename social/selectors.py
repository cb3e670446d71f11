import functools
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import DurationField, Exists, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.functions import JSONObject, Now
from django.utils import timezone

from shop.catalog.models import Product, Variant
from shop.catalog.selectors import product_base_queryset, search_terms
from shop.core.compiled import CompiledQuery
from shop.core.jsonrows import JSONRows, decoded, instances
from shop.reviews.models import Review, ReviewPhoto

from .models import Comment, Follow, Like, Post, PostPhoto, PostProduct, Report
from .shares import services as share_services
from .shares.models import SHARE_CHANNELS, ShareLink

PAGE_SIZE = 10
POPULAR_WINDOW = timedelta(days=7)
TABS = ("new", "popular", "following")


@dataclass
class FeedPage:
    posts: list[Post]
    has_more: bool
    next_page: int


def _signed_in(viewer) -> bool:
    return viewer is not None and viewer.is_authenticated


# What a post card reads of its photos, its review's photos and its tagged products with their variants on sale:
# JSON columns of the posts' own query (shop.core.jsonrows), one statement in all, given to the posts as Django's
# prefetch would (`post.photos.all()` and the like read them). Four prefetch queries had cost the ORM about 8 ms of
# CPU a feed page.
_PHOTO_FIELDS = ("id", "post_id", "image", "width", "height", "position")
_REVIEW_PHOTO_FIELDS = ("id", "review_id", "image", "position")
# Of a tagged product and its variants, what a card shows (feed_tags._Page.products, _post_card.html); the other
# fields are deferred, as with only(). All of them, as JSON, had been most of PostgreSQL's time for the statement
# (about 25 fields a product and 12 a variant, for some 25 products a page), and most of the decoding after it.
_TAG_PRODUCT_FIELDS = ("id", "name", "slug", "brand", "price", "currency", "is_active", "available_until")
_VARIANT_FIELDS = ("id", "product_id", "sku", "colour", "size", "price", "stock", "is_active", "position")


def _for_cards(qs: QuerySet[Post], *, viewer_id: int | None) -> QuerySet[Post]:
    """Everything a post card shows, in the posts' own query (read the posts with `_cards`)."""
    on_sale = Variant.objects.filter(product=OuterRef("product_id"), is_active=True, stock__gt=0)
    tags = PostProduct.objects.filter(post=OuterRef("pk")).order_by("position", "id")
    qs = qs.select_related("author", "review", "product").annotate(
        photos_data=JSONRows(PostPhoto.objects.filter(post=OuterRef("pk")).order_by("position", "id"), _PHOTO_FIELDS),
        review_photos_data=JSONRows(
            ReviewPhoto.objects.filter(review=OuterRef("review_id")).order_by("position", "id"), _REVIEW_PHOTO_FIELDS
        ),
        tags_data=JSONRows(
            tags,
            {
                "id": "id",
                "position": "position",
                "product": JSONObject(**{name: f"product__{name}" for name in _TAG_PRODUCT_FIELDS}),
                "variants": JSONRows(on_sale.order_by("position", "id"), _VARIANT_FIELDS),
            },
        ),
    )
    if viewer_id is not None:
        qs = qs.annotate(liked=Exists(Like.objects.filter(post=OuterRef("pk"), user_id=viewer_id)))
    return qs


def _cards(posts: list[Post]) -> list[Post]:
    """The posts of a `_for_cards` query with their photos, review photos and tagged products (with their variants
    on sale) in place, as prefetch_related would leave them."""
    for post in posts:
        _prefetched(post, "photos", instances(PostPhoto, post.photos_data, post=post))
        if post.review is not None:
            _prefetched(post.review, "photos", instances(ReviewPhoto, post.review_photos_data, review=post.review))
        tags = []
        for row in decoded(post.tags_data):
            product = instances(Product, [row.pop("product")])[0]
            _prefetched(product, "variants", instances(Variant, row.pop("variants"), product=product))
            tags.extend(instances(PostProduct, [row], post=post, product=product))
        _prefetched(post, "tags", tags)
        del post.photos_data, post.review_photos_data, post.tags_data
    return posts


def _prefetched(obj, name: str, objects: list) -> None:
    """`obj.<name>.all()` gives `objects` without a query, as after prefetch_related(name). Its queryset is one
    that selects nothing (a filter on it finds nothing rather than another post's rows), on a query made once per
    model: `none()` for each of a feed page's fifty lists had cloned a query each time (7% of the page's CPU). A
    queryset never changes its query in place (each method works on a copy), so they can share it."""
    related = getattr(type(obj), name).rel.related_model
    qs = related._default_manager._queryset_class(model=related, query=_nothing(related))
    qs._result_cache, qs._prefetch_done = objects, True
    obj.__dict__.setdefault("_prefetched_objects_cache", {})[name] = qs


@functools.cache
def _nothing(model):
    """The query of `model`'s `none()`."""
    return model._default_manager.none().query


# The feed's statements, compiled once per process for each tab and for visitors and members (shop.core.compiled).
def _feed_queryset(*, tab: str, viewer_id: int | None) -> QuerySet[Post]:
    qs = Post.objects.filter(status=Post.Status.PUBLISHED)
    if tab == "following":
        follows = Follow.objects.filter(follower_id=viewer_id)
        qs = qs.filter(
            Q(author__in=follows.filter(followee__isnull=False).values("followee"))
            | Q(is_staff_post=True) & Q(Exists(follows.filter(followee__isnull=True)))
            | Q(author_id=viewer_id)
        ).order_by("-created_at", "-id")
    elif tab == "popular":
        since = Now() - Value(POPULAR_WINDOW, output_field=DurationField())
        qs = qs.filter(created_at__gte=since).order_by("-like_count", "-created_at", "-id")
    else:
        qs = qs.order_by("-created_at", "-id")
    return _for_cards(qs, viewer_id=viewer_id)


_FEED = CompiledQuery(_feed_queryset, "viewer_id", shape=("tab",))


def feed_page(*, tab: str, viewer, page: int = 1) -> FeedPage:
    if tab not in TABS:
        raise ValueError(tab)
    if tab == "following" and not _signed_in(viewer):
        return FeedPage(posts=[], has_more=False, next_page=0)
    page = max(1, page)
    viewer_id = viewer.pk if _signed_in(viewer) else None
    posts = _cards(_FEED.objects(tab=tab, viewer_id=viewer_id, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1))
    return FeedPage(posts=posts[:PAGE_SIZE], has_more=len(posts) > PAGE_SIZE, next_page=page + 1)


def post_get_for_page(*, post_id: int, viewer) -> Post | None:
    """Published posts for everyone; the author (and staff) also see their held, hidden or scheduled posts."""
    visible = Q(status=Post.Status.PUBLISHED)
    if _signed_in(viewer):
        visible |= Q(author=viewer)
        if viewer.is_staff:
            visible = Q()
    viewer_id = viewer.pk if _signed_in(viewer) else None
    return next(iter(_cards(list(_for_cards(Post.objects.filter(visible, pk=post_id), viewer_id=viewer_id)))), None)


def post_comments(*, post: Post, viewer) -> list[Comment]:
    """Top-level comments with their replies (two queries); held comments are shown to their writer only."""
    visible = Q(status=Comment.Status.PUBLISHED)
    if _signed_in(viewer):
        visible |= Q(user=viewer) & ~Q(status=Comment.Status.HIDDEN)
    replies = Comment.objects.filter(visible).select_related("user").order_by("created_at", "id")
    return list(
        Comment.objects.filter(visible, post=post, parent__isnull=True)
        .select_related("user")
        .prefetch_related(Prefetch("replies", replies))
        .order_by("created_at", "id")
    )


def user_get_public(*, user_id: int):
    return get_user_model().objects.filter(pk=user_id, is_active=True, anonymised_at__isnull=True).first()


def profile_posts(*, user, viewer, kind: str) -> list[Post]:
    qs = Post.objects.filter(author=user, kind=kind, status=Post.Status.PUBLISHED).order_by("-created_at", "-id")
    return _cards(list(_for_cards(qs, viewer_id=viewer.pk if _signed_in(viewer) else None)[:30]))


def follow_state(*, follower, followee_id: int | None) -> bool:
    if not _signed_in(follower):
        return False
    return Follow.objects.filter(follower=follower, followee_id=followee_id).exists()


def follow_counts(*, user) -> dict[str, int]:
    return {
        "followers": Follow.objects.filter(followee=user).count(),
        "following": Follow.objects.filter(follower=user).count(),
    }


def product_marks_of(*, viewer, product_id: int) -> set[str]:
    """Which of きになる / もってる the viewer has set on the product."""
    if not _signed_in(viewer):
        return set()
    return set(_marks(viewer=viewer, product_id=product_id).values_list("kind", flat=True))


def _marks(*, viewer, product_id: int) -> QuerySet[Post]:
    """The viewer's marks (viewer: a user or a user id)."""
    return Post.objects.filter(author=viewer, product_id=product_id, kind__in=(Post.Kind.WANT, Post.Kind.OWN))


@dataclass
class FollowedActivity:
    reviews: list[Review]
    posts: list[Post]

    def __bool__(self) -> bool:
        return bool(self.reviews or self.posts)


@dataclass
class ProductViewer:
    """What the product page shows for the viewer: their want/own marks, what people they follow said about it
    (published reviews first, then wants, owns and posts tagging it), their share codes ({channel: code}) and their
    own review (any status)."""

    marks: set[str]
    activity: FollowedActivity
    share_codes: dict[str, str]
    own_review: Review | None


# People the viewer follows: at most this many of their reviews, and as many of their posts, on the product page.
FOLLOWED_LIMIT = 12


def _viewer_columns(viewer_id: int, product_id) -> dict:
    """The viewer's columns for a product: its id, or OuterRef("pk") inside the product page's own statement."""
    followees = Follow.objects.filter(follower_id=viewer_id, followee__isnull=False).values("followee")
    product_of_post = OuterRef(product_id) if isinstance(product_id, OuterRef) else product_id  # one query deeper
    tagged = Exists(PostProduct.objects.filter(post=OuterRef("pk"), product_id=product_of_post))
    return {
        "viewer_marks": JSONRows(_marks(viewer=viewer_id, product_id=product_id), ("kind",)),
        "viewer_followed_reviews": JSONRows(
            Review.objects.filter(status=Review.Status.PUBLISHED, product_id=product_id, user__in=followees).order_by(
                "-created_at", "-id"
            )[:FOLLOWED_LIMIT],
            {**_fields("id", "user_id", "rating", "title", "body"), "name": "user__display_name"},
        ),
        # A review's feed entry would repeat the review listed above.
        "viewer_followed_posts": JSONRows(
            Post.objects.filter(status=Post.Status.PUBLISHED, author__in=followees)
            .exclude(kind=Post.Kind.REVIEW)
            .filter(Q(product_id=product_id) | Q(tagged))
            .order_by("-created_at", "-id")[:FOLLOWED_LIMIT],
            {**_fields("id", "author_id", "kind", "body", "is_staff_post"), "name": "author__display_name"},
        ),
        "viewer_review": JSONRows(
            Review.objects.filter(user_id=viewer_id, product_id=product_id)[:1], ("id", "status")
        ),
        "viewer_shares": JSONRows(
            ShareLink.objects.filter(sharer_id=viewer_id, product_id=product_id), ("channel", "code")
        ),
    }


_VIEWER_COLUMN_NAMES = (
    "viewer_marks",
    "viewer_followed_reviews",
    "viewer_followed_posts",
    "viewer_review",
    "viewer_shares",
)


def product_page_viewer_columns(viewer_id: int) -> dict:
    """The viewer's columns read with the product page's statement (registered by SocialConfig.ready with
    shop.catalog.selectors.product_page_viewer_columns_register), and whose they are."""
    return {"viewer_columns_of": Value(viewer_id), **_viewer_columns(viewer_id, OuterRef("pk"))}


def _viewer_queryset(*, viewer_id: int, product_id: int) -> QuerySet:
    return get_user_model().objects.filter(pk=viewer_id).values(**_viewer_columns(viewer_id, product_id))


# Built and compiled once per process (see shop.core.compiled): the ORM spent about 10 ms of CPU a page view on it.
_VIEWER = CompiledQuery(_viewer_queryset, "viewer_id", "product_id")


def product_viewer(*, viewer, product) -> ProductViewer:
    """What the product page shows a signed-in viewer, none for anyone else: read with the product when the page
    loaded it for this viewer (shop.catalog.selectors.product_get_for_page with their id), else by one statement
    (each part a JSON column of a one-row query).

    The viewer's share links for the product (the share buttons show them) are made on their first view, by a
    second statement then. Making them inside the viewer statement on every view (a data-modifying WITH) had cost
    PostgreSQL about 3 ms a view more than reading them.
    """
    if not _signed_in(viewer):
        return ProductViewer(
            marks=set(), activity=FollowedActivity(reviews=[], posts=[]), share_codes={}, own_review=None
        )
    if getattr(product, "viewer_columns_of", None) == viewer.pk:
        row = {name: getattr(product, name) for name in _VIEWER_COLUMN_NAMES}
    else:
        row = _VIEWER.rows(viewer_id=viewer.pk, product_id=product.pk)[0]
    share_codes = {link["channel"]: link["code"] for link in decoded(row["viewer_shares"])}
    if set(share_codes) != set(SHARE_CHANNELS):
        share_codes = share_services.product_share_codes_ensure(sharer=viewer, product_id=product.pk)
    own = instances(Review, row["viewer_review"], user=viewer)
    return ProductViewer(
        marks={mark["kind"] for mark in decoded(row["viewer_marks"])},
        activity=FollowedActivity(
            reviews=_with_people(Review, row["viewer_followed_reviews"], person="user"),
            posts=_with_people(Post, row["viewer_followed_posts"], person="author"),
        ),
        share_codes=share_codes,
        own_review=own[0] if own else None,
    )


def _fields(*names: str) -> dict[str, str]:
    return {name: name for name in names}


def _with_people(model, rows, *, person: str) -> list:
    """Instances from JSONRows rows carrying the person's display name as "name": the person is attached as a user
    with that name (all the page shows), so reading it runs no query."""
    rows = decoded(rows)
    people = [get_user_model()(pk=row[f"{person}_id"], display_name=row.pop("name") or "") for row in rows]
    objects = instances(model, rows)
    for obj, who in zip(objects, people, strict=True):
        setattr(obj, person, who)
    return objects


def products_for_tagging(*, q: str, limit: int = 20) -> list[Product]:
    terms = search_terms(q)
    if not terms:
        return []
    qs = product_base_queryset()
    for term in terms:
        qs = qs.filter(search_text__contains=term)
    return list(qs.only("id", "name", "brand", "price", "currency").order_by("name")[:limit])


def staff_post_planned_today() -> bool:
    """Whether a shop post is published or scheduled for today (Japan time): the shop posts at least once a day."""
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today, time.min))
    end = start + timedelta(days=1)
    return (
        Post.objects.filter(is_staff_post=True)
        .filter(
            Q(status=Post.Status.PUBLISHED, created_at__gte=start, created_at__lt=end)
            | Q(status=Post.Status.PUBLISHED, publish_at__gte=start, publish_at__lt=end)
            | Q(status=Post.Status.SCHEDULED, publish_at__gte=start, publish_at__lt=end)
        )
        .exists()
    )


def moderation_open_reports() -> QuerySet[Report]:
    return Report.objects.filter(resolved_at__isnull=True)


def products_for_tagging_by_id(*, ids: list) -> list[Product]:
    return list(product_base_queryset().filter(pk__in=ids[:20]).only("id", "name", "brand", "price", "currency"))
