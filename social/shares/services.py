"""Writes of the shares app: links made lazily, clicks counted once a day, attributions decided after payment."""

import datetime
import ipaddress
import logging
import secrets

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from shop.orders.models import Order

from .constants import ATTRIBUTION_WINDOW
from .models import Attribution, KnownDevice, PostDailyStat, ShareClick, ShareLink

logger = logging.getLogger(__name__)

_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no look-alikes (l/1, O/0)


def _new_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(8))


def share_links_ensure(*, sharer, product_id: int | None = None, post_id: int | None = None) -> dict[str, ShareLink]:
    """The sharer's link for the product (or post) on every channel, made on first need: {channel: link}."""
    if (product_id is None) == (post_id is None):
        raise ValueError("Give exactly one of product_id or post_id.")
    target = {"product_id": product_id} if product_id is not None else {"post_id": post_id}
    links = {link.channel: link for link in ShareLink.objects.filter(sharer=sharer, **target)}
    missing = [channel for channel in ShareLink.Channel.values if channel not in links]
    if missing:
        with transaction.atomic():
            # Two tabs may make them at once: the loser's rows are ignored and the winner's read back.
            ShareLink.objects.bulk_create(
                [ShareLink(code=_new_code(), sharer=sharer, channel=channel, **target) for channel in missing],
                ignore_conflicts=True,
            )
        links = {link.channel: link for link in ShareLink.objects.filter(sharer=sharer, **target)}
    return links


def post_share_codes_ensure(*, sharer, post_ids: list[int]) -> dict[int, dict[str, str]]:
    """The sharer's codes for every post of a page on every channel, missing ones made: {post_id: {channel: code}}.

    On PostgreSQL this is one statement whatever the number of posts (and whether links existed or not): the
    insert of the missing links and the read of the existing ones share a snapshot, so the page's query count
    stays fixed. Elsewhere (the SQLite demo) it is a read, and an insert plus a re-read only when some are missing.
    """
    post_ids = sorted({int(pk) for pk in post_ids})
    if not post_ids:
        return {}
    if connection.vendor == "postgresql":
        rows = _links_upsert_postgres(sharer_id=sharer.pk, target="post_id", ids=post_ids)
    else:
        rows = _links_ensure_generic(sharer=sharer, target="post_id", ids=post_ids)
    codes: dict[int, dict[str, str]] = {}
    for post_id, channel, code in rows:
        codes.setdefault(post_id, {})[channel] = code
    return codes


def product_share_codes_ensure(*, sharer, product_id: int) -> dict[str, str]:
    """The sharer's codes for the product on every channel, missing ones made: {channel: code}. One statement on
    PostgreSQL (see post_share_codes_ensure); the product page calls it only when its viewer query found some
    missing (social.selectors.product_viewer)."""
    if connection.vendor == "postgresql":
        rows = _links_upsert_postgres(sharer_id=sharer.pk, target="product_id", ids=[int(product_id)])
    else:
        rows = _links_ensure_generic(sharer=sharer, target="product_id", ids=[int(product_id)])
    return {channel: code for _product_id, channel, code in rows}


def _links_ensure_generic(*, sharer, target: str, ids: list[int]) -> list[tuple[int, str, str]]:
    """A read, and an insert plus a re-read only when some links are missing (any database)."""
    existing = ShareLink.objects.filter(sharer=sharer, **{f"{target}__in": ids})
    rows = list(existing.values_list(target, "channel", "code"))
    have = {(pk, channel) for pk, channel, _code in rows}
    missing = [
        ShareLink(code=_new_code(), sharer=sharer, channel=channel, **{target: pk})
        for pk in ids
        for channel in ShareLink.Channel.values
        if (pk, channel) not in have
    ]
    if missing:
        ShareLink.objects.bulk_create(missing, ignore_conflicts=True)
        rows = list(existing.values_list(target, "channel", "code"))
    return rows


def _links_upsert_postgres(*, sharer_id: int, target: str, ids: list[int]) -> list[tuple[int, str, str]]:
    """Make the sharer's missing links for these posts (target "post_id") or products ("product_id") and read them
    all: (target id, channel, code) rows, in one statement. The SELECT reads the made rows and the existing ones, as
    the statement's snapshot does not show the made ones in the table.

    PostgreSQL makes the codes, and only for the missing links: eight characters of `_ALPHABET`, each from one byte
    of `gen_random_uuid()` (a strong random source; the bytes holding the UUID's version and variant bits are
    skipped). Making them here in Python cost a feed page about 1.5 ms: 160 codes and 480 parameters for 40 posts,
    most of them for links that already existed. The statement's text is the same for any number of ids."""
    if target not in ("post_id", "product_id"):
        raise ValueError(target)
    table = ShareLink._meta.db_table
    # NOT EXISTS keeps the sequence from being spent on rows that are there already; ON CONFLICT covers a race.
    # Only the table name (from the model) and a checked column name are formatted in; every value is a parameter.
    sql = f"""
        WITH missing AS (
            SELECT w.target_id, c.channel, uuid_send(gen_random_uuid()) AS random_bytes
            FROM unnest(%(ids)s::bigint[]) AS w(target_id) CROSS JOIN unnest(%(channels)s::text[]) AS c(channel)
            WHERE NOT EXISTS (
                SELECT 1 FROM {table} s
                WHERE s.sharer_id = %(sharer)s AND s.{target} = w.target_id AND s.channel = c.channel
            )
        ),
        made AS (
            INSERT INTO {table} (code, sharer_id, {target}, channel, product_clicks, created_at)
            SELECT (
                SELECT string_agg(substr(%(alphabet)s, 1 + get_byte(m.random_bytes, i) %% %(size)s, 1), '' ORDER BY i)
                FROM unnest(ARRAY[0, 1, 2, 3, 4, 5, 9, 10]) AS i
            ), %(sharer)s, m.target_id, m.channel, 0, NOW()
            FROM missing m
            ON CONFLICT DO NOTHING
            RETURNING {target}, channel, code
        )
        SELECT {target}, channel, code FROM made
        UNION ALL
        SELECT {target}, channel, code FROM {table} WHERE sharer_id = %(sharer)s AND {target} = ANY(%(ids)s)"""  # noqa: S608
    params = {
        "ids": ids,
        "channels": list(ShareLink.Channel.values),
        "sharer": sharer_id,
        "alphabet": _ALPHABET,
        "size": len(_ALPHABET),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(pk), channel, code) for pk, channel, code in cursor.fetchall()]


# Appended to a statement run on its own (PostgreSQL, autocommit): synchronous_commit off for its transaction only,
# set while the statement runs, so its commit, right after, does not wait for the disk. The scalar subquery runs once.
_COMMIT_WITHOUT_WAITING = " RETURNING (SELECT set_config('synchronous_commit', 'off', true))"


def _post_stats_bump(*, column: str, post_ids: list[int], day: datetime.date, asynchronous: bool = False) -> None:
    """Adds one to `column` for each post on `day`, in one INSERT ... ON CONFLICT DO UPDATE (PostgreSQL, SQLite);
    `asynchronous`: committed without waiting for the disk (_COMMIT_WITHOUT_WAITING)."""
    if column not in ("impressions", "product_clicks"):
        raise ValueError(column)
    if not post_ids:
        return
    table = PostDailyStat._meta.db_table
    values = ", ".join(["(%s, %s, %s, %s)"] * len(post_ids))
    impressions, clicks = (1, 0) if column == "impressions" else (0, 1)
    params = [value for post_id in post_ids for value in (post_id, day, impressions, clicks)]
    sql = (  # only the model's table, a checked column name and placeholders are formatted in
        f"INSERT INTO {table} (post_id, day, impressions, product_clicks) VALUES {values} "  # noqa: S608
        f"ON CONFLICT (post_id, day) DO UPDATE SET {column} = {table}.{column} + EXCLUDED.{column}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql + _COMMIT_WITHOUT_WAITING if asynchronous else sql, params)


def post_impressions_record(*, post_ids: list[int], day: datetime.date | None = None) -> None:
    """Counts one impression for each post shown on a page (a post twice on one page counts once).

    On PostgreSQL, outside a larger transaction, the count commits without waiting for the disk (synchronous_commit
    off for this statement's transaction only): a crash of the database server may lose its last fraction of a
    second of impressions, and a feed page no longer waits for a WAL flush, which had cost it about 15% of its
    throughput. One statement, one round trip: a transaction around `SET LOCAL` took four (BEGIN, SET, INSERT,
    COMMIT). Money, stock, points and clicks that earn rewards keep waiting for the disk."""
    _post_stats_bump(
        column="impressions",
        post_ids=sorted(set(post_ids)),
        day=day or timezone.localdate(),
        asynchronous=connection.vendor == "postgresql" and not connection.in_atomic_block,
    )


def post_product_click_record(*, post_id: int, link_id: int | None = None, day: datetime.date | None = None) -> None:
    """Counts a tap on a product tagged in a post; also on the share link the visitor came through, if any."""
    with transaction.atomic():
        _post_stats_bump(column="product_clicks", post_ids=[post_id], day=day or timezone.localdate())
        if link_id is not None:
            ShareLink.objects.filter(pk=link_id, post_id=post_id).update(product_clicks=F("product_clicks") + 1)


def share_click_record(*, link: ShareLink, visitor_key: str, day: datetime.date) -> bool:
    """Counts a click unless this visitor already clicked this link today. True when counted."""
    try:
        with transaction.atomic():
            _, created = ShareClick.objects.get_or_create(link=link, visitor_key=visitor_key, day=day)
    except IntegrityError:  # the same visitor's double click raced itself
        return False
    return created


def attribution_record_pending(
    *,
    order_numbers: list[str],
    link_id: int,
    clicked_at: datetime.datetime,
    visitor_key: str = "",
    buyer_ip: str | None = None,
) -> int:
    """Remembers which share the browser came through when it placed these orders. Decided once paid.

    The buyer's visitor id and IP address are kept for the share-reward fraud checks (same browser as the sharer).
    """
    visitor_key = visitor_key if len(visitor_key) == 32 and visitor_key.isalnum() else ""
    try:
        buyer_ip = str(ipaddress.ip_address(buyer_ip)) if buyer_ip else None
    except ValueError:
        buyer_ip = None
    if timezone.now() - clicked_at > ATTRIBUTION_WINDOW or not ShareLink.objects.filter(pk=link_id).exists():
        return 0
    made = 0
    for order_id in Order.objects.filter(number__in=order_numbers).values_list("pk", flat=True):
        with transaction.atomic():
            _, created = Attribution.objects.get_or_create(
                order_id=order_id,
                defaults={
                    "link_id": link_id,
                    "clicked_at": clicked_at,
                    "visitor_key": visitor_key,
                    "buyer_ip": buyer_ip,
                },
            )
        made += created
    return made


# The scheduled tally decides this many attributions per transaction: few statements, short row locks.
TALLY_CHUNK = 500


def _is_self_purchase(order: Order, link: ShareLink) -> bool:
    sharer = link.sharer
    if order.user_id is not None and order.user_id == sharer.pk:
        return True
    return bool(order.email) and order.email.strip().lower() == (sharer.email or "").strip().lower()


def _decision(attribution: Attribution) -> tuple[str, str]:
    """The (status, reason) of a pending attribution whose order is paid."""
    order = attribution.order
    if _is_self_purchase(order, attribution.link):
        return Attribution.Status.REJECTED, Attribution.Reason.SELF_PURCHASE
    if order.paid_at - attribution.clicked_at > ATTRIBUTION_WINDOW:
        return Attribution.Status.REJECTED, Attribution.Reason.EXPIRED
    if order.status == Order.Status.REFUNDED:
        return Attribution.Status.REVERSED, Attribution.Reason.REFUNDED
    return Attribution.Status.CONFIRMED, Attribution.Reason.NONE


def _attributions_set(*, groups: dict[tuple[str, str], list[int]]) -> None:
    """One UPDATE per decision: {(status, reason): [attribution ids]}."""
    now = timezone.now()
    for (status, reason), ids in groups.items():
        Attribution.objects.filter(pk__in=ids).update(status=status, reason=reason, decided_at=now)


def attributions_confirm(*, order_ids: list[int]) -> dict[int, str]:
    """Decides the pending attributions of these orders that are paid, in one transaction. Idempotent: a decided
    one is left as it is. Returns {order id: status} of those decided now."""
    groups: dict[tuple[str, str], list[int]] = {}
    decided: dict[int, tuple[str, str]] = {}
    with transaction.atomic():
        # Locked in id order, so two tallies (or a tally and the per-order task) wait for each other, never deadlock;
        # the status is checked again once a lock is granted, so a row decided meanwhile is left out.
        pending = (
            Attribution.objects.select_for_update(of=("self",))
            .select_related("order", "link__sharer")
            .filter(order_id__in=order_ids, status=Attribution.Status.PENDING, order__paid_at__isnull=False)
            .order_by("pk")
        )
        for attribution in pending:
            decided[attribution.order_id] = _decision(attribution)
            groups.setdefault(decided[attribution.order_id], []).append(attribution.pk)
        _attributions_set(groups=groups)
    for order_id, (status, reason) in decided.items():
        logger.info("Attribution of order %s: %s %s", order_id, status, reason)
    return {order_id: status for order_id, (status, _reason) in decided.items()}


def attribution_confirm(*, order_id: int) -> str | None:
    """Decides a pending attribution once its order is paid. Idempotent: a decided one is left as it is."""
    decided = attributions_confirm(order_ids=[order_id])
    if order_id in decided:
        return decided[order_id]
    return Attribution.objects.filter(order_id=order_id).values_list("status", flat=True).first()


def attributions_reverse(*, order_ids: list[int]) -> list[int]:
    """Undoes the confirmed attributions of these orders that are fully refunded (a partial refund keeps one), in
    one transaction. Returns the orders whose attribution was reversed now."""
    with transaction.atomic():
        rows = list(
            Attribution.objects.select_for_update(of=("self",))
            .filter(order_id__in=order_ids, status=Attribution.Status.CONFIRMED, order__status=Order.Status.REFUNDED)
            .order_by("pk")
            .values_list("pk", "order_id")
        )
        decision = (Attribution.Status.REVERSED, Attribution.Reason.REFUNDED)
        _attributions_set(groups={decision: [pk for pk, _order_id in rows]} if rows else {})
    return [order_id for _pk, order_id in rows]


def attribution_reverse(*, order_id: int) -> str | None:
    """Undoes a confirmed attribution once its order is fully refunded; a partial refund keeps it."""
    if attributions_reverse(order_ids=[order_id]):
        return Attribution.Status.REVERSED
    return Attribution.objects.filter(order_id=order_id).values_list("status", flat=True).first()


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[start : start + TALLY_CHUNK] for start in range(0, len(ids), TALLY_CHUNK)]


def attribution_tally() -> dict[str, int]:
    """Re-runs every decision still open: pending ones whose order was paid, confirmed ones whose order was refunded.

    A chunk at a time, each in its own transaction: a crash keeps the chunks done and the next run does the rest.
    """
    counts = {"confirmed": 0, "rejected": 0, "reversed": 0}
    pending = Attribution.objects.filter(status=Attribution.Status.PENDING, order__paid_at__isnull=False)
    for chunk in _chunks(list(pending.order_by("order_id").values_list("order_id", flat=True))):
        for status in attributions_confirm(order_ids=chunk).values():
            counts[str(status)] += 1
    refunded = Attribution.objects.filter(status=Attribution.Status.CONFIRMED, order__status=Order.Status.REFUNDED)
    for chunk in _chunks(list(refunded.order_by("order_id").values_list("order_id", flat=True))):
        counts["reversed"] += len(attributions_reverse(order_ids=chunk))
    return counts


def known_device_record(*, user, visitor_key: str, ip: str | None = None) -> bool:
    """Remembers a browser a member signed in from (share-reward fraud checks). True when it is new."""
    if not (len(visitor_key) == 32 and visitor_key.isalnum()):
        return False
    try:
        ip = str(ipaddress.ip_address(ip)) if ip else None
    except ValueError:
        ip = None
    try:
        with transaction.atomic():
            _, created = KnownDevice.objects.get_or_create(user=user, visitor_key=visitor_key, defaults={"ip": ip})
    except IntegrityError:  # two sign-ins of the same browser at once
        return False
    return created
