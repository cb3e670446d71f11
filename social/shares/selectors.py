"""Reads of the shares app: a link by its code, and the funnel (clicks, visitors, attributed orders)."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from .constants import CODE_RE
from .models import Attribution, ShareClick, ShareLink


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
        )
        for link in links
    ]
    labels = dict(ShareLink.Channel.choices)
    clicks = ShareClick.objects.filter(link__sharer=sharer)
    per_channel = {
        row["link__channel"]: row
        for row in clicks.values("link__channel").annotate(
            clicks=Count("pk"), visitors=Count("visitor_key", distinct=True)
        )
    }
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
        )
        for channel in ShareLink.Channel.values
    ]
    total = FunnelRow(
        label="",
        clicks=clicks.count(),
        visitors=clicks.values("visitor_key").distinct().count(),
        orders=sum(orders.values()),
    )
    return Funnel(links=rows, channels=channels, total=total)
