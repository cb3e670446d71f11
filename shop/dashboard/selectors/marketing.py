"""Marketing (F65, F66): campaign results side by side, the repeat purchase rate and lifetime value by cohort."""

import datetime
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Exists, F, Min, OuterRef, Q, Window
from django.db.models.functions import TruncMonth

from loyalty.models import Campaign, CampaignRecipient, CouponRedemption
from loyalty.selectors.campaigns import ATTRIBUTION_WINDOW, NOT_BOUGHT, campaign_coupon_key
from shop.notifications.models import Notification

from .common import NET, DateRange, counted_orders, customer_key, ratio, tokyo

NStatus = Notification.Status


@dataclass(frozen=True)
class CampaignRow:
    campaign: Campaign
    recipients: int
    sent: int
    delivered: int
    clicked: int
    orders: int
    coupon_uses: int

    @property
    def click_rate(self) -> float | None:
        return ratio(self.clicked, self.sent)

    @property
    def conversion_rate(self) -> float | None:
        return ratio(self.orders, self.clicked)


def _message(status_in=None, status_not_in=None) -> Exists:
    rows = Notification.objects.filter(batch_key=OuterRef("message_key"))
    if status_in is not None:
        rows = rows.filter(status__in=status_in)
    if status_not_in is not None:
        rows = rows.exclude(status__in=status_not_in)
    return Exists(rows)


def campaign_rows(*, period: DateRange, limit: int = 50) -> list[CampaignRow]:
    """Campaigns sent (or sending) in the period, each with the figures of loyalty.selectors.campaign_results
    (same definitions: sent, delivered, clicked, orders within 7 days of the first click, coupon uses), computed
    for all of them in four queries instead of four per campaign."""
    campaigns = list(
        Campaign.objects.filter(status__in=[Campaign.Status.SENT, Campaign.Status.SENDING])
        .filter(period.q("send_at") | period.q("sent_at"))
        .order_by("-send_at", "-pk")[:limit]
    )
    ids = [campaign.pk for campaign in campaigns]
    recipients = CampaignRecipient.objects.filter(campaign_id__in=ids)
    counts = {
        row["campaign_id"]: row
        for row in recipients.order_by()
        .values("campaign_id")
        .annotate(
            recipients=Count("pk"),
            sent=Count("pk", filter=Q(_message(status_not_in=[NStatus.SKIPPED, NStatus.CANCELLED]))),
            delivered=Count("pk", filter=Q(_message(status_in=[NStatus.SENT]))),
            clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
        )
    }
    orders = dict(
        recipients.filter(clicked_at__isnull=False)
        .order_by()
        .values("campaign_id")
        .annotate(
            n=Count(
                "user__orders",
                filter=Q(
                    user__orders__paid_at__gte=F("clicked_at"),
                    user__orders__paid_at__lte=F("clicked_at") + ATTRIBUTION_WINDOW,
                )
                & ~Q(user__orders__status__in=NOT_BOUGHT),
                distinct=True,
            )
        )
        .values_list("campaign_id", "n")
    )
    keys = {campaign_coupon_key(campaign=campaign): campaign.pk for campaign in campaigns}
    uses = {
        keys[issue_key]: n
        for issue_key, n in CouponRedemption.objects.filter(
            status=CouponRedemption.Status.USED, coupon__issue_key__in=list(keys)
        )
        .values("coupon__issue_key")
        .annotate(n=Count("pk"))
        .values_list("coupon__issue_key", "n")
    }
    return [
        CampaignRow(
            campaign=campaign,
            recipients=counts.get(campaign.pk, {}).get("recipients", 0),
            sent=counts.get(campaign.pk, {}).get("sent", 0),
            delivered=counts.get(campaign.pk, {}).get("delivered", 0),
            clicked=counts.get(campaign.pk, {}).get("clicked", 0),
            orders=orders.get(campaign.pk, 0),
            coupon_uses=uses.get(campaign.pk, 0),
        )
        for campaign in campaigns
    ]


@dataclass(frozen=True)
class RepeatRate:
    customers: int
    repeaters: int

    @property
    def rate(self) -> float | None:
        return ratio(self.repeaters, self.customers)


def repeat_purchase_rate(*, period: DateRange) -> RepeatRate:
    """Customers (members by account, guests by e-mail) with two or more counted orders paid in the period,
    out of those with at least one."""
    per_customer = (
        counted_orders().filter(period.q("paid_at")).values(key=customer_key()).annotate(n=Count("pk")).order_by()
    )
    row = per_customer.aggregate(customers=Count("key"), repeaters=Count("key", filter=Q(n__gte=2)))
    return RepeatRate(customers=row["customers"] or 0, repeaters=row["repeaters"] or 0)


@dataclass
class Cohort:
    month: datetime.date
    size: int = 0
    # Revenue of the cohort's customers in month 0, 1, 2, ... after their first order month.
    revenue: list[int] = field(default_factory=list)

    @property
    def cumulative_per_customer(self) -> list[int]:
        """Lifetime value so far: revenue per customer of the cohort up to and including each month (whole yen)."""
        values, running = [], 0
        for amount in self.revenue:
            running += amount
            values.append(running // self.size if self.size else 0)
        return values


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def customer_cohorts(*, period: DateRange, today: datetime.date) -> list[Cohort]:
    """Customers grouped by the month (Japan time) of their first counted order, for first months in the period;
    their revenue (total minus refunds) in each month since, up to this month.

    One query in one pass over the orders: the inner query (built by the ORM for the database in use) gives each
    order its customer's first month with a window function (MIN over the customer's orders; members by account,
    guests by e-mail); the outer one groups by (first month, month). A correlated subquery per order instead took
    seconds on 100,000 orders (bench/RESULTS.md).
    """
    month = TruncMonth("paid_at", tzinfo=tokyo())
    inner = counted_orders().annotate(
        first_month=Window(Min(month), partition_by=[customer_key()]),
        month=month,
        net=NET,
        key=customer_key(),
    )
    inner_sql, params = inner.values("first_month", "month", "net", "key").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT first_month, month, COUNT(DISTINCT key), SUM(net) "  # noqa: S608 - only the ORM's SQL is inlined
            f"FROM ({inner_sql}) AS orders WHERE first_month >= %s AND first_month < %s "
            "GROUP BY first_month, month ORDER BY first_month, month",
            # first_month is a month start in Japan time without a zone: compared with plain dates.
            [*params, period.start.replace(day=1), period.end + datetime.timedelta(days=1)],
        )
        rows = cursor.fetchall()
    cohorts: dict[datetime.date, Cohort] = {}
    last = _month_index(today)
    for cohort_month, order_month, customers, revenue in rows:
        start = _as_date(cohort_month)
        cohort = cohorts.setdefault(start, Cohort(month=start, revenue=[0] * (last - _month_index(start) + 1)))
        offset = _month_index(_as_date(order_month)) - _month_index(start)
        if offset == 0:
            cohort.size = customers
        if 0 <= offset < len(cohort.revenue):
            cohort.revenue[offset] = int(revenue or 0)
    return [cohorts[month] for month in sorted(cohorts)]


def _as_date(value) -> datetime.date:
    """A month start from the cursor: an aware datetime (PostgreSQL), a naive one or a string (SQLite)."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if isinstance(value, datetime.datetime):
        return (value.astimezone(tokyo()) if value.tzinfo else value).date()
    return value
