"""Social reach (F64, F67): the feed's funnel per post, the share funnel per channel, top sharers, the shop's
followers per day and the hours shoppers are active."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Sum
from django.db.models.functions import ExtractHour, TruncDate

from shop.orders.models import Order
from social.models import Comment, Follow, Like, Post
from social.rewards.models import ShareReward
from social.shares.models import Attribution, PostDailyStat, ShareClick, ShareLink
from social.shares.selectors import PostStats

from .common import DateRange, ratio, tokyo

CONFIRMED = Attribution.Status.CONFIRMED


@dataclass(frozen=True)
class PostRow:
    post_id: int
    label: str
    author: str
    stats: PostStats


def _attributed(period: DateRange):
    """Confirmed attributions of orders paid in the period (the order brought by the share or the post)."""
    return Attribution.objects.filter(status=CONFIRMED).filter(period.q("order__paid_at"))


def post_funnel(*, period: DateRange, limit: int = 20) -> tuple[list[PostRow], PostStats]:
    """The posts with the most impressions in the period, and the total of all posts.

    CTR = product taps / impressions, CVR = attributed orders / product taps (social.shares.selectors.PostStats).
    """
    daily = PostDailyStat.objects.filter(day__gte=period.start, day__lte=period.end)
    top = list(
        daily.values("post_id")
        .annotate(impressions=Sum("impressions"), product_clicks=Sum("product_clicks"))
        .order_by("-impressions", "-product_clicks", "post_id")[:limit]
    )
    totals = daily.aggregate(impressions=Sum("impressions"), product_clicks=Sum("product_clicks"))
    orders = dict(
        _attributed(period)
        .filter(link__post_id__isnull=False)
        .values("link__post_id")
        .annotate(n=Count("pk"))
        .values_list("link__post_id", "n")
    )
    ids = [row["post_id"] for row in top]
    posts = {post.pk: post for post in Post.objects.filter(pk__in=ids).select_related("author").only("body", "author")}
    rows = []
    for row in top:
        post = posts.get(row["post_id"])
        rows.append(
            PostRow(
                post_id=row["post_id"],
                label=(post.body[:40] if post else "") or f"#{row['post_id']}",
                author=(post.author.display_name or f"#{post.author_id}") if post else "",
                stats=PostStats(
                    impressions=row["impressions"] or 0,
                    product_clicks=row["product_clicks"] or 0,
                    orders=orders.get(row["post_id"], 0),
                ),
            )
        )
    total = PostStats(
        impressions=totals["impressions"] or 0,
        product_clicks=totals["product_clicks"] or 0,
        orders=sum(orders.values()),
    )
    return rows, total


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    label: str
    shares: int
    clicks: int
    visitors: int
    orders: int

    @property
    def ctr(self) -> float | None:
        """Clicks per share link made: how often a share on this channel gets opened."""
        return ratio(self.clicks, self.shares)

    @property
    def cvr(self) -> float | None:
        """Orders per visitor who came through the channel (as the sharer's own funnel counts it)."""
        return ratio(self.orders, self.visitors)


def channel_funnel(*, period: DateRange) -> list[ChannelRow]:
    """Per share channel: links made, clicks (one per visitor a day), visitors and attributed orders in the period."""
    shares = dict(
        ShareLink.objects.filter(period.q("created_at"))
        .values("channel")
        .annotate(n=Count("pk"))
        .values_list("channel", "n")
    )
    clicks = {
        row["link__channel"]: row
        for row in ShareClick.objects.filter(day__gte=period.start, day__lte=period.end)
        .values("link__channel")
        .annotate(clicks=Count("pk"), visitors=Count("visitor_key", distinct=True))
    }
    orders = dict(_attributed(period).values("link__channel").annotate(n=Count("pk")).values_list("link__channel", "n"))
    return [
        ChannelRow(
            channel=channel,
            label=str(label),
            shares=shares.get(channel, 0),
            clicks=clicks.get(channel, {}).get("clicks", 0),
            visitors=clicks.get(channel, {}).get("visitors", 0),
            orders=orders.get(channel, 0),
        )
        for channel, label in ShareLink.Channel.choices
    ]


@dataclass(frozen=True)
class SharerRow:
    user_id: int
    name: str
    orders: int
    rewards: int
    points: int


def top_sharers(*, period: DateRange, limit: int = 10) -> list[SharerRow]:
    """Sharers by confirmed orders their links brought in the period, with their confirmed share rewards."""
    top = list(
        _attributed(period)
        .values("link__sharer_id", "link__sharer__display_name")
        .annotate(orders=Count("pk"))
        .order_by("-orders", "link__sharer_id")[:limit]
    )
    ids = [row["link__sharer_id"] for row in top]
    rewards = {
        row["sharer_id"]: row
        for row in ShareReward.objects.filter(sharer_id__in=ids, status=ShareReward.Status.CONFIRMED)
        .values("sharer_id")
        .annotate(n=Count("pk"), points=Sum("points"))
    }
    return [
        SharerRow(
            user_id=row["link__sharer_id"],
            # The public name shown on the feed, never the e-mail address: this page is not customer-level.
            name=row["link__sharer__display_name"] or f"#{row['link__sharer_id']}",
            orders=row["orders"],
            rewards=rewards.get(row["link__sharer_id"], {}).get("n", 0),
            points=rewards.get(row["link__sharer_id"], {}).get("points") or 0,
        )
        for row in top
    ]


@dataclass(frozen=True)
class FollowerDay:
    day: datetime.date
    new: int
    total: int


def shop_followers_daily(*, period: DateRange) -> list[FollowerDay]:
    """Followers of the shop (Follow with no followee) at the end of each day. An unfollow deletes the row, so
    the history is of the followers who still follow."""
    follows = Follow.objects.filter(followee__isnull=True)
    before = follows.filter(created_at__lt=period.start_at).count()
    new = dict(
        follows.filter(period.q("created_at"))
        .annotate(day=TruncDate("created_at", tzinfo=tokyo()))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    rows, total = [], before
    for day in period.each_day():
        total += new.get(day, 0)
        rows.append(FollowerDay(day=day, new=new.get(day, 0), total=total))
    return rows


@dataclass(frozen=True)
class HourRow:
    hour: int
    orders: int
    likes: int
    comments: int

    @property
    def total(self) -> int:
        return self.orders + self.likes + self.comments


def active_hours(*, period: DateRange) -> list[HourRow]:
    """Orders placed, likes and comments per hour of the day (Japan time) in the period."""

    def per_hour(queryset) -> dict[int, int]:
        return dict(
            queryset.filter(period.q("created_at"))
            .annotate(hour=ExtractHour("created_at", tzinfo=tokyo()))
            .values("hour")
            .annotate(n=Count("pk"))
            .values_list("hour", "n")
        )

    orders = per_hour(Order.objects.all())
    likes = per_hour(Like.objects.all())
    comments = per_hour(Comment.objects.filter(status=Comment.Status.PUBLISHED))
    return [
        HourRow(hour=hour, orders=orders.get(hour, 0), likes=likes.get(hour, 0), comments=comments.get(hour, 0))
        for hour in range(24)
    ]
