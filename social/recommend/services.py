"""Writes of recommendations: the rebuild of the precomputed table, views, impressions, clicks and attribution.

The rebuild reads paid orders, follows' want/own marks and views, and writes every list in one transaction, so
pages only ever read finished lists (`selectors.recommendations_for_page`).
"""

import datetime
import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from shop.accounts.models import Consent
from shop.catalog.models import Product
from shop.orders.models import Order, OrderLine
from social.models import Post

from .models import ProductView, Recommendation, RecommendationClick, RecommendationStat, Slot

logger = logging.getLogger(__name__)

LIST_LENGTH = 8
CO_PURCHASE_DAYS = 365
POPULAR_DAYS = 30
VIEW_DAYS = 30
ATTRIBUTION_DAYS = 7
# "For you" weights: a co-purchase of something the member bought counts most, then what people they follow want
# or own, then their own views (per day viewed).
WEIGHT_CO_PURCHASE = 3
WEIGHT_FOLLOWED_MARK = 2
WEIGHT_VIEW = 1
# Paid and not (fully) cancelled or refunded, as loyalty's segments count "bought".
NOT_BOUGHT = [Order.Status.PENDING_PAYMENT, Order.Status.CANCELLED, Order.Status.REFUNDED]


@dataclass(frozen=True)
class RebuildResult:
    rows: int
    product_lists: int
    personal_lists: int
    category_lists: int
    seconds: float


def _paid_lines(since: datetime.datetime):
    return (
        OrderLine.objects.filter(order__paid_at__isnull=False, order__paid_at__gte=since, variant__isnull=False)
        .exclude(order__status__in=NOT_BOUGHT)
        .values_list("order_id", "order__user_id", "variant__product_id", "order__paid_at", "quantity")
    )


def _ranked(scores: dict[int, float], recency: dict[int, datetime.datetime], eligible, exclude=()) -> list:
    """Highest score first, then the most recent, then the lowest id (so equal inputs give the same list)."""
    epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    candidates = [pid for pid in scores if pid in eligible and pid not in exclude]
    candidates.sort(key=lambda pid: (-scores[pid], -(recency.get(pid, epoch) - epoch).total_seconds(), pid))
    return [(pid, scores[pid]) for pid in candidates[:LIST_LENGTH]]


def _consenting_user_ids() -> set[int]:
    """Members whose latest personalisation consent is a yes (no record means no)."""
    latest = Consent.objects.filter(user=OuterRef("pk"), purpose=Consent.Purpose.PERSONALISATION).order_by(
        "-created_at", "-id"
    )
    return set(
        get_user_model()
        .objects.filter(is_active=True)
        .annotate(granted=Subquery(latest.values("granted")[:1]))
        .filter(granted=True)
        .values_list("pk", flat=True)
    )


def recommendations_compute(*, now: datetime.datetime | None = None) -> dict[tuple[str, str], list[tuple[int, float]]]:
    """Every list, keyed by (slot, key): [(product id, score)] best first. Reads only."""
    now = now or timezone.now()
    eligible_rows = Product.objects.filter(is_active=True, in_stock=True).filter(
        Q(available_until__isnull=True) | Q(available_until__gt=now)
    )
    category_of: dict[int, tuple[int, int | None]] = {
        pid: (category_id, parent_id)
        for pid, category_id, parent_id in eligible_rows.values_list("pk", "category_id", "category__parent_id")
    }
    eligible = set(category_of)

    orders: dict[int, set[int]] = defaultdict(set)
    order_time: dict[int, datetime.datetime] = {}
    bought_by: dict[int, set[int]] = defaultdict(set)
    popular_units: Counter = Counter()
    popular_recent: dict[int, datetime.datetime] = {}
    popular_since = now - datetime.timedelta(days=POPULAR_DAYS)
    for order_id, user_id, product_id, paid_at, quantity in _paid_lines(
        now - datetime.timedelta(days=CO_PURCHASE_DAYS)
    ):
        orders[order_id].add(product_id)
        order_time[order_id] = paid_at
        if user_id is not None:
            bought_by[user_id].add(product_id)
        if paid_at >= popular_since:
            popular_units[product_id] += quantity
            popular_recent[product_id] = max(paid_at, popular_recent.get(product_id, paid_at))

    co_count: dict[int, Counter] = defaultdict(Counter)
    co_recent: dict[int, dict[int, datetime.datetime]] = defaultdict(dict)
    for order_id, products in orders.items():
        for a in products:
            for b in products:
                if a != b:
                    co_count[a][b] += 1
                    previous = co_recent[a].get(b)
                    co_recent[a][b] = order_time[order_id] if previous is None else max(previous, order_time[order_id])

    lists: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for a, counts in co_count.items():
        ranked = _ranked(dict(counts), co_recent[a], eligible, exclude={a})
        if ranked:
            lists[(Slot.PRODUCT, str(a))] = ranked

    lists[(Slot.HOME, "popular")] = _ranked(dict(popular_units), popular_recent, eligible)
    by_category: dict[int, dict[int, float]] = defaultdict(dict)
    for pid, units in popular_units.items():
        if pid in category_of:
            for category_id in category_of[pid]:
                if category_id is not None:
                    by_category[category_id][pid] = units
    for category_id, scores in by_category.items():
        lists[(Slot.HOME, f"category:{category_id}")] = _ranked(scores, popular_recent, eligible)

    lists.update(_personal_lists(now=now, eligible=eligible, bought_by=bought_by, co_count=co_count))
    return {key: value for key, value in lists.items() if value}


def _personal_lists(*, now, eligible, bought_by, co_count) -> dict:
    """ "For you" lists, only for members who consented to personalised recommendations."""
    consenting = _consenting_user_ids()
    if not consenting:
        return {}
    scores: dict[int, Counter] = defaultdict(Counter)
    for user_id in consenting & set(bought_by):
        for bought in bought_by[user_id]:
            for other, count in co_count.get(bought, {}).items():
                scores[user_id][other] += WEIGHT_CO_PURCHASE * count
    # What people the member follows want or own: each person counts once per product.
    followed_marks: dict[int, set[tuple[int, int]]] = defaultdict(set)
    pairs = Post.objects.filter(
        kind__in=[Post.Kind.WANT, Post.Kind.OWN],
        status=Post.Status.PUBLISHED,
        author__followers__follower_id__in=consenting,
    ).values_list("author__followers__follower_id", "author_id", "product_id")
    for follower_id, author_id, product_id in pairs:
        followed_marks[follower_id].add((author_id, product_id))
    for user_id, marked in followed_marks.items():
        people_per_product = Counter(product_id for _author, product_id in marked)
        for product_id, people in people_per_product.items():
            scores[user_id][product_id] += WEIGHT_FOLLOWED_MARK * people
    views = ProductView.objects.filter(user_id__in=consenting, day__gte=now.date() - datetime.timedelta(days=VIEW_DAYS))
    for user_id, product_id in views.values_list("user_id", "product_id"):
        scores[user_id][product_id] += WEIGHT_VIEW
    owned = defaultdict(set)
    for user_id, product_id in Post.objects.filter(
        author_id__in=consenting, kind=Post.Kind.OWN, product__isnull=False
    ).values_list("author_id", "product_id"):
        owned[user_id].add(product_id)
    lists = {}
    for user_id, user_scores in scores.items():
        ranked = _ranked(dict(user_scores), {}, eligible, exclude=bought_by.get(user_id, set()) | owned[user_id])
        if ranked:
            lists[(Slot.HOME, str(user_id))] = ranked
    return lists


def recommendations_rebuild(*, now: datetime.datetime | None = None) -> RebuildResult:
    """Recomputes every list and replaces the table in one transaction (pages see the old lists or the new ones,
    never half). Running it twice gives the same rows."""
    started = time.monotonic()
    now = now or timezone.now()
    lists = recommendations_compute(now=now)
    rows = [
        Recommendation(slot=slot, key=key, product_id=pid, score=score, position=position, computed_at=now)
        for (slot, key), ranked in lists.items()
        for position, (pid, score) in enumerate(ranked, start=1)
    ]
    with transaction.atomic():
        Recommendation.objects.all().delete()
        Recommendation.objects.bulk_create(rows, batch_size=1000)
    attributed = recommendation_stats_attribute(now=now)
    result = RebuildResult(
        rows=len(rows),
        product_lists=sum(1 for slot, _key in lists if slot == Slot.PRODUCT),
        personal_lists=sum(1 for slot, key in lists if slot == Slot.HOME and key.isdigit()),
        category_lists=sum(1 for slot, key in lists if key.startswith("category:")),
        seconds=time.monotonic() - started,
    )
    logger.info("recommendations rebuilt: %s (attributed orders updated on %d days)", result, attributed)
    return result


def _upsert(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def product_view_record(*, product_id: int, user_id: int | None, visitor_key: str, day: datetime.date) -> None:
    """One row per viewer, product and day, in one INSERT ... ON CONFLICT DO NOTHING (PostgreSQL, SQLite)."""
    if user_id is None and not (len(visitor_key) == 32 and visitor_key.isalnum()):
        return
    table = ProductView._meta.db_table
    if user_id is not None:
        sql = (
            f"INSERT INTO {table} (user_id, visitor_key, product_id, day) VALUES (%s, '', %s, %s) "  # noqa: S608
            "ON CONFLICT (user_id, product_id, day) WHERE user_id IS NOT NULL DO NOTHING"
        )
        _upsert(sql, [user_id, product_id, day])
    else:
        sql = (
            f"INSERT INTO {table} (user_id, visitor_key, product_id, day) VALUES (NULL, %s, %s, %s) "  # noqa: S608
            "ON CONFLICT (visitor_key, product_id, day) WHERE user_id IS NULL DO NOTHING"
        )
        _upsert(sql, [visitor_key, product_id, day])


def _stat_bump(*, slot: str, day: datetime.date, column: str) -> None:
    if column not in ("impressions", "clicks") or slot not in Slot.values:
        raise ValueError(column)
    table = RecommendationStat._meta.db_table
    impressions, clicks = (1, 0) if column == "impressions" else (0, 1)
    sql = (  # only the model's table and a checked column name are formatted in
        f"INSERT INTO {table} (slot, day, impressions, clicks, attributed_orders) VALUES (%s, %s, %s, %s, 0) "  # noqa: S608
        f"ON CONFLICT (slot, day) DO UPDATE SET {column} = {table}.{column} + EXCLUDED.{column}"
    )
    _upsert(sql, [slot, day, impressions, clicks])


def recommendation_impression_record(*, slot: str, day: datetime.date | None = None) -> None:
    """One impression per block shown (one upsert, however many items it holds)."""
    _stat_bump(slot=slot, day=day or timezone.localdate(), column="impressions")


def recommendation_click_record(*, slot: str, product_id: int, user=None, visitor_key: str = "") -> None:
    with transaction.atomic():
        RecommendationClick.objects.create(
            slot=slot,
            product_id=product_id,
            user=user if user is not None and user.is_authenticated else None,
            visitor_key=visitor_key if len(visitor_key) == 32 and visitor_key.isalnum() else "",
        )
        _stat_bump(slot=slot, day=timezone.localdate(), column="clicks")


def recommendation_stats_attribute(*, now: datetime.datetime | None = None, days: int = 30) -> int:
    """Sets attributed_orders per slot and day of the click: distinct paid orders by the member who clicked that
    contain the clicked product and were placed within 7 days after the click. Guests' clicks cannot be matched
    to orders (an order carries no browser id), so only members' clicks count. Returns the rows updated."""
    now = now or timezone.now()
    since = timezone.localdate(now) - datetime.timedelta(days=days)
    window = datetime.timedelta(days=ATTRIBUTION_DAYS)
    clicks = RecommendationClick.objects.filter(user__isnull=False, created_at__date__gte=since)
    orders = (
        Order.objects.filter(paid_at__isnull=False)
        .exclude(status__in=NOT_BOUGHT)
        .values_list("pk", "user_id", "created_at")
    )
    click_rows = list(clicks.values_list("slot", "product_id", "user_id", "created_at"))
    user_ids = {row[2] for row in click_rows}
    products_of: dict[int, set[int]] = defaultdict(set)
    order_rows = list(orders.filter(user_id__in=user_ids, created_at__gte=now - datetime.timedelta(days=days + 1)))
    for order_id, product_id in OrderLine.objects.filter(
        order_id__in=[row[0] for row in order_rows], variant__isnull=False
    ).values_list("order_id", "variant__product_id"):
        products_of[order_id].add(product_id)
    attributed: dict[tuple[str, datetime.date], set[int]] = defaultdict(set)
    for slot, product_id, user_id, clicked_at in click_rows:
        for order_id, order_user_id, created_at in order_rows:
            if (
                order_user_id == user_id
                and clicked_at <= created_at <= clicked_at + window
                and product_id in products_of[order_id]
            ):
                attributed[(slot, timezone.localdate(clicked_at))].add(order_id)
    updated = 0
    with transaction.atomic():
        for slot, day in attributed:
            RecommendationStat.objects.get_or_create(slot=slot, day=day)
        for stat in RecommendationStat.objects.select_for_update().filter(day__gte=since):
            count = len(attributed.get((stat.slot, stat.day), ()))
            if stat.attributed_orders != count:
                stat.attributed_orders = count
                stat.save(update_fields=["attributed_orders"])
                updated += 1
    return updated
