"""Reads of the shares app: a link by its code, and the funnel (clicks, visitors, attributed orders)."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from shop.catalog.models import Product
from social.models import Post, PostProduct

from .constants import CODE_RE
from .models import Attribution, PostDailyStat, ShareClick, ShareLink


def share_link_get(*, code: str) -> ShareLink | None:
    if not CODE_RE.match(code or ""):
        return None
    return ShareLink.objects.select_related("product").filter(code=code).first()


def share_links_with_counts(queryset: QuerySet | None = None) -> QuerySet:
    """Links annotated with clicks (one per visitor a day), unique visitors and confirmed orders."""
    queryset = ShareLink.objects.all() if queryset is None else queryset
    return queryset.annotate(
        click_count=Count("clicks", distinct=True),
        visitor_count=Count("clicks__visitor_key", distinct=True),
        order_count=Count("attributions", filter=Q(attributions__status=Attribution.Status.CONFIRMED), distinct=True),
    )


@dataclass(frozen=True)
class FunnelRow:
    label: str
    clicks: int
    visitors: int
    orders: int
    link: ShareLink | None = None
    # Only shared posts lead on to products; for them, page opens through the share and taps on a product.
    post_clicks: int = 0
    product_clicks: int = 0

    @property
    def ctr(self) -> float | None:
        """Product taps per opening of a shared post; None when no shared post was opened."""
        return self.product_clicks / self.post_clicks if self.post_clicks else None

    @property
    def cvr(self) -> float | None:
        """Orders per unique visitor; None when nobody came yet."""
        return self.orders / self.visitors if self.visitors else None

    @property
    def clicks_per_visitor(self) -> float | None:
        return self.clicks / self.visitors if self.visitors else None


@dataclass(frozen=True)
class Funnel:
    links: list[FunnelRow]
    channels: list[FunnelRow]
    total: FunnelRow


def share_funnel(*, sharer) -> Funnel:
    """The sharer's own funnel per link (only links that brought a click) and per channel."""
    links = list(
        share_links_with_counts(ShareLink.objects.filter(sharer=sharer).select_related("product"))
        .filter(Q(click_count__gt=0) | Q(order_count__gt=0))
        .order_by("-created_at", "-pk")
    )
    rows = [
        FunnelRow(
            label=str(link.product or "") or f"#{link.post_id}",
            clicks=link.click_count,
            visitors=link.visitor_count,
            orders=link.order_count,
            link=link,
            post_clicks=link.click_count if link.post_id is not None else 0,
            product_clicks=link.product_clicks,
        )
        for link in links
    ]
    labels = dict(ShareLink.Channel.choices)
    clicks = ShareClick.objects.filter(link__sharer=sharer)
    per_channel = {
        row["link__channel"]: row
        for row in clicks.values("link__channel").annotate(
            clicks=Count("pk"),
            visitors=Count("visitor_key", distinct=True),
            post_clicks=Count("pk", filter=Q(link__post_id__isnull=False)),
        )
    }
    product_clicks = dict(
        ShareLink.objects.filter(sharer=sharer, post_id__isnull=False)
        .values("channel")
        .annotate(n=Sum("product_clicks"))
        .values_list("channel", "n")
    )
    orders = dict(
        Attribution.objects.filter(link__sharer=sharer, status=Attribution.Status.CONFIRMED)
        .values("link__channel")
        .annotate(n=Count("pk"))
        .values_list("link__channel", "n")
    )
    channels = [
        FunnelRow(
            label=str(labels[channel]),
            clicks=per_channel.get(channel, {}).get("clicks", 0),
            visitors=per_channel.get(channel, {}).get("visitors", 0),
            orders=orders.get(channel, 0),
            post_clicks=per_channel.get(channel, {}).get("post_clicks", 0),
            product_clicks=product_clicks.get(channel) or 0,
        )
        for channel in ShareLink.Channel.values
    ]
    total = FunnelRow(
        label="",
        clicks=clicks.count(),
        visitors=clicks.values("visitor_key").distinct().count(),
        orders=sum(orders.values()),
        post_clicks=sum(row.post_clicks for row in channels),
        product_clicks=sum(row.product_clicks for row in channels),
    )
    return Funnel(links=rows, channels=channels, total=total)


@dataclass(frozen=True)
class PostStats:
    """F64 for one post: CTR = product taps / impressions, CVR = attributed orders / product taps."""

    impressions: int = 0
    product_clicks: int = 0
    orders: int = 0

    @property
    def ctr(self) -> float | None:
        return self.product_clicks / self.impressions if self.impressions else None

    @property
    def cvr(self) -> float | None:
        return self.orders / self.product_clicks if self.product_clicks else None


def post_stats(*, post_ids: list[int]) -> dict[int, PostStats]:
    """Totals per post in two queries: daily counters summed, and confirmed orders attributed to the post's shares."""
    counts = {
        row["post_id"]: row
        for row in PostDailyStat.objects.filter(post_id__in=post_ids)
        .values("post_id")
        .annotate(impressions=Sum("impressions"), product_clicks=Sum("product_clicks"))
    }
    orders = dict(
        Attribution.objects.filter(link__post_id__in=post_ids, status=Attribution.Status.CONFIRMED)
        .values("link__post_id")
        .annotate(n=Count("pk"))
        .values_list("link__post_id", "n")
    )
    return {
        post_id: PostStats(
            impressions=counts.get(post_id, {}).get("impressions") or 0,
            product_clicks=counts.get(post_id, {}).get("product_clicks") or 0,
            orders=orders.get(post_id, 0),
        )
        for post_id in post_ids
    }


def post_stats_annotate(queryset: QuerySet[PostDailyStat]) -> QuerySet[PostDailyStat]:
    """Daily rows with their post's all-time totals (for `PostDailyStat.post_total`), in the same query."""
    same_post = PostDailyStat.objects.filter(post_id=OuterRef("post_id")).values("post_id")
    orders = (
        Attribution.objects.filter(link__post_id=OuterRef("post_id"), status=Attribution.Status.CONFIRMED)
        .values("link__post_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(
        total_impressions=Subquery(same_post.annotate(n=Sum("impressions")).values("n")),
        total_product_clicks=Subquery(same_post.annotate(n=Sum("product_clicks")).values("n")),
        total_orders=Coalesce(Subquery(orders), 0),
    )


def post_tag_target(*, post_id: int, product_id: int) -> Product | None:
    """The product behind a post's product link: the post is published and tags (or wants/owns) the product."""
    posts = Post.objects.filter(pk=post_id, status=Post.Status.PUBLISHED)
    in_post = Exists(posts.filter(product_id=product_id)) | Exists(
        PostProduct.objects.filter(post__in=posts, product_id=product_id)
    )
    return Product.objects.filter(in_post, pk=product_id).first()
