"""Each figure on a small data set whose values are worked out by hand (in the comments)."""

import datetime

import pytest

from loyalty.models import Campaign, CampaignRecipient, Coupon, CouponRedemption, Segment
from loyalty.selectors.campaigns import campaign_results
from shop.dashboard.selectors import customers, marketing, sales, social
from shop.dashboard.selectors.common import DateRange, average
from shop.notifications.models import Notification
from shop.orders.models import Order
from social.models import Comment, Follow, Like, Post
from social.rewards.models import ShareCampaign, ShareReward, ShareTier
from social.shares.models import Attribution, PostDailyStat, ShareClick, ShareLink
from tests.factories import UserFactory

from .conftest import TODAY, at, make_order

pytestmark = pytest.mark.django_db

S = Order.Status
JUNE = DateRange(datetime.date(2025, 6, 1), datetime.date(2025, 6, 30))
d = datetime.date


@pytest.fixture
def june_orders():
    u1, u2 = UserFactory(email="u1@example.jp"), UserFactory(email="u2@example.jp")
    orders = {
        "a": make_order(total=3000, user=u1, paid=at(d(2025, 6, 10), 9), lines=[("SKU-A", 1000, 3)]),
        "b": make_order(
            total=2000,
            refunded=500,
            status=S.PARTIALLY_REFUNDED,
            user=u1,
            paid=at(d(2025, 6, 10), 21),
            lines=[("SKU-B", 2000, 1)],
        ),
        "c": make_order(total=5000, status=S.CANCELLED, paid=at(d(2025, 6, 11)), lines=[("SKU-A", 1000, 5)]),
        "d": make_order(total=4000, status=S.PENDING_PAYMENT, created=at(d(2025, 6, 12)), lines=[("SKU-A", 1000, 4)]),
        "e": make_order(
            total=1000, refunded=1000, status=S.REFUNDED, paid=at(d(2025, 6, 12)), lines=[("SKU-B", 1000, 1)]
        ),
        "f": make_order(
            total=1500, status=S.SHIPPED, email="g@example.jp", paid=at(d(2025, 6, 20)), lines=[("SKU-B", 1500, 1)]
        ),
        # 23:30 on 31 May in Tokyo is 14:30 UTC: outside June. 23:30 on 30 June is inside.
        "g": make_order(total=9999, paid=at(d(2025, 5, 31), 23) + datetime.timedelta(minutes=30)),
        "h": make_order(
            total=500,
            status=S.DELIVERED,
            user=u2,
            paid=at(d(2025, 6, 30), 23) + datetime.timedelta(minutes=30),
            lines=[("SKU-A", 500, 1)],
        ),
    }
    return orders


def test_revenue_orders_and_aov_exclude_cancelled_unpaid_and_refunded(june_orders):
    today, week, month, chosen = sales.sales_periods(
        periods=[
            ("today", DateRange(TODAY, TODAY)),
            ("7", DateRange.last_days(7, today=TODAY)),
            ("30", DateRange.last_days(30, today=TODAY)),
            ("range", JUNE),
        ]
    )
    # a 3000 + b (2000 - 500) + f 1500 + h 500; c cancelled, d unpaid, e fully refunded, g in May.
    assert (chosen.revenue, chosen.orders, chosen.aov) == (6500, 4, 1625)
    assert (month.revenue, month.orders) == (6500, 4)
    assert (today.revenue, today.orders, today.aov) == (500, 1, 500)
    assert (week.revenue, week.orders) == (500, 1)


def test_daily_sales_fill_every_day(june_orders):
    daily = {row.day: row for row in sales.sales_daily(period=JUNE)}
    assert len(daily) == 30
    assert (daily[d(2025, 6, 10)].revenue, daily[d(2025, 6, 10)].orders) == (4500, 2)
    assert daily[d(2025, 6, 20)].revenue == 1500
    assert daily[d(2025, 6, 30)].revenue == 500
    assert daily[d(2025, 6, 11)].revenue == 0  # the cancelled order


def test_to_ship_low_stock_and_best_sellers(june_orders, settings):
    from tests.factories import VariantFactory

    make_order(total=100, status=S.PROCESSING, paid=at(d(2025, 6, 2)))
    # Any date: paid a and g (May) and the processing one; f is shipped, h delivered, the rest not paid or over.
    assert sales.orders_to_ship_count() == 3

    settings.SHOP_LOW_STOCK_THRESHOLD = 3
    VariantFactory(sku="LOW-1", stock=3)
    VariantFactory(sku="LOW-0", stock=0)
    VariantFactory(sku="OK-4", stock=4)
    VariantFactory(sku="OFF-1", stock=1, is_active=False)
    count, rows = sales.low_stock_variants()
    assert count == 2 and [variant.sku for variant in rows] == ["LOW-0", "LOW-1"]

    best = sales.best_sellers(period=JUNE)
    # Lines have no variant here, so they group together: a 3 + b 1 + f 1 + h 1 units; 3000 + 2000 + 1500 + 500.
    assert [(row.units, row.revenue) for row in best] == [(6, 7000)]


def test_average_rounds_half_up():
    assert average(6500, 4) == 1625
    assert average(1000, 3) == 333
    assert average(2000, 3) == 667
    assert average(0, 0) == 0


def test_repeat_purchase_rate(june_orders):
    rate = marketing.repeat_purchase_rate(period=JUNE)
    # u1 two counted orders (a, b), guest g one (f), u2 one (h): 1 of 3.
    assert (rate.customers, rate.repeaters) == (3, 1)
    assert rate.rate == pytest.approx(1 / 3)


def test_top_customers(june_orders):
    rows = customers.top_customers(period=JUNE)
    assert [(row.email, row.orders, row.revenue) for row in rows] == [
        ("u1@example.jp", 2, 4500),
        ("g@example.jp", 1, 1500),
        ("u2@example.jp", 1, 500),
    ]
    assert rows[1].user_id is None


def test_cohorts_and_lifetime_value():
    u3, u4, u5 = (UserFactory(email=f"u{n}@example.jp") for n in (3, 4, 5))
    make_order(total=1000, user=u3, paid=at(d(2025, 4, 10)))
    make_order(total=2000, user=u3, paid=at(d(2025, 5, 5)))
    make_order(total=3000, user=u3, paid=at(d(2025, 6, 1)))
    make_order(total=4000, user=u3, status=S.CANCELLED, paid=at(d(2025, 5, 6)))
    make_order(total=500, user=u4, paid=at(d(2025, 4, 20)))
    make_order(total=800, email="h@example.jp", paid=at(d(2025, 5, 15)))
    make_order(total=200, email="h@example.jp", paid=at(d(2025, 6, 20)))
    make_order(total=700, user=u5, paid=at(d(2025, 3, 1)))  # cohort March: before the range
    make_order(total=300, user=u5, paid=at(d(2025, 4, 2)))

    cohorts = marketing.customer_cohorts(period=DateRange(d(2025, 4, 1), d(2025, 5, 31)), today=TODAY)

    april, may = cohorts
    assert (april.month, april.size, april.revenue) == (d(2025, 4, 1), 2, [1500, 2000, 3000])
    assert april.cumulative_per_customer == [750, 1750, 3250]
    assert (may.month, may.size, may.revenue) == (d(2025, 5, 1), 1, [800, 200])
    assert may.cumulative_per_customer == [800, 1000]


def _post(author, body="夏のコーデ"):
    return Post.objects.create(author=author, body=body)


def test_post_and_channel_ctr_cvr():
    sharer = UserFactory(email="sharer@example.jp", display_name="はな")
    p1, p2 = _post(sharer), _post(sharer, "新作リップ")
    PostDailyStat.objects.create(post_id=p1.pk, day=d(2025, 6, 5), impressions=100, product_clicks=10)
    PostDailyStat.objects.create(post_id=p1.pk, day=d(2025, 6, 6), impressions=100, product_clicks=10)
    PostDailyStat.objects.create(post_id=p2.pk, day=d(2025, 6, 5), impressions=50, product_clicks=0)
    PostDailyStat.objects.create(post_id=p1.pk, day=d(2025, 5, 31), impressions=1000, product_clicks=500)
    link = ShareLink.objects.create(code="abcdefgh", sharer=sharer, post_id=p1.pk, channel=ShareLink.Channel.LINE)
    ShareLink.objects.filter(pk=link.pk).update(created_at=at(d(2025, 6, 3)))
    old_link = ShareLink.objects.create(code="oldlink1", sharer=sharer, post_id=p2.pk, channel=ShareLink.Channel.X)
    ShareLink.objects.filter(pk=old_link.pk).update(created_at=at(d(2025, 4, 3)))
    for visitor, day in (("v1", 5), ("v1", 6), ("v2", 6)):
        ShareClick.objects.create(link=link, visitor_key=visitor, day=d(2025, 6, day))
    ShareClick.objects.create(link=link, visitor_key="v3", day=d(2025, 5, 30))

    def attribution(paid_day, status=Attribution.Status.CONFIRMED):
        order = make_order(total=1000, paid=at(paid_day))
        return Attribution.objects.create(order=order, link=link, clicked_at=at(paid_day), status=status)

    attribution(d(2025, 6, 10))
    attribution(d(2025, 5, 10))  # paid before the range
    attribution(d(2025, 6, 11), Attribution.Status.PENDING)

    rows, total = social.post_funnel(period=JUNE)
    assert [row.post_id for row in rows] == [p1.pk, p2.pk]
    first = rows[0].stats
    # 200 impressions, 20 taps: CTR 10 %; 1 confirmed order paid in June per 20 taps: CVR 5 %.
    assert (first.impressions, first.product_clicks, first.orders) == (200, 20, 1)
    assert first.ctr == pytest.approx(0.10) and first.cvr == pytest.approx(0.05)
    assert rows[1].stats.ctr == 0 and rows[1].stats.cvr is None
    assert (total.impressions, total.product_clicks, total.orders) == (250, 20, 1)

    channels = {row.channel: row for row in social.channel_funnel(period=JUNE)}
    line = channels["line"]
    # 1 link made in June, 3 clicks by 2 visitors, 1 order: 3 clicks per share, CVR 1/2.
    assert (line.shares, line.clicks, line.visitors, line.orders) == (1, 3, 2, 1)
    assert line.ctr == pytest.approx(3.0) and line.cvr == pytest.approx(0.5)
    assert (channels["x"].shares, channels["x"].ctr) == (0, None)

    campaign = ShareCampaign.objects.create(name="夏", starts_at=at(d(2025, 6, 1)), ends_at=at(d(2025, 6, 30)))
    tier = ShareTier.objects.create(campaign=campaign, buyers=1, points=300)
    ShareReward.objects.create(
        campaign=campaign,
        tier=tier,
        sharer=sharer,
        status=ShareReward.Status.CONFIRMED,
        confirm_after=at(TODAY),
        points=300,
    )
    [top] = social.top_sharers(period=JUNE)
    assert (top.name, top.orders, top.rewards, top.points) == ("はな", 1, 1, 300)


def test_followers_and_active_hours():
    shop_fans = [UserFactory(email=f"fan{n}@example.jp") for n in range(4)]
    for fan, day in zip(shop_fans, (d(2025, 5, 20), d(2025, 6, 2), d(2025, 6, 2), d(2025, 6, 5)), strict=True):
        follow = Follow.objects.create(follower=fan, followee=None)
        Follow.objects.filter(pk=follow.pk).update(created_at=at(day, 10))
    Follow.objects.create(follower=shop_fans[0], followee=shop_fans[1])  # a person, not the shop

    days = {row.day: row for row in social.shop_followers_daily(period=JUNE)}
    assert days[d(2025, 6, 1)].total == 1
    assert (days[d(2025, 6, 2)].new, days[d(2025, 6, 2)].total) == (2, 3)
    assert days[d(2025, 6, 30)].total == 4

    make_order(total=100, paid=at(d(2025, 6, 3), 21))
    make_order(total=100, status=S.PENDING_PAYMENT, created=at(d(2025, 6, 3), 21))
    post = _post(shop_fans[0])
    like = Like.objects.create(post=post, user=shop_fans[1])
    Like.objects.filter(pk=like.pk).update(created_at=at(d(2025, 6, 4), 21))
    comment = Comment.objects.create(post=post, user=shop_fans[2], body="かわいい")
    Comment.objects.filter(pk=comment.pk).update(created_at=at(d(2025, 6, 4), 8))

    hours = social.active_hours(period=JUNE)
    assert len(hours) == 24
    assert (hours[21].orders, hours[21].likes, hours[21].comments) == (2, 1, 0)
    assert hours[8].comments == 1
    assert sum(row.total for row in hours) == 4


def test_campaign_rows_match_the_campaign_results():
    segment = Segment.objects.create(name="全員")
    campaign = Campaign.objects.create(
        name="父の日",
        segment=segment,
        subject="父の日ギフト",
        text="…",
        status=Campaign.Status.SENT,
        send_at=at(d(2025, 6, 10)),
        sent_at=at(d(2025, 6, 10)),
    )
    users = [UserFactory(email=f"r{n}@example.jp") for n in range(4)]
    statuses = [
        Notification.Status.SENT,
        Notification.Status.SENT,
        Notification.Status.PENDING,
        Notification.Status.SKIPPED,
    ]
    clicks = [at(d(2025, 6, 11)), at(d(2025, 6, 11)), None, None]
    for n, (user, status, clicked) in enumerate(zip(users, statuses, clicks, strict=True)):
        key = f"campaign:{campaign.pk}:user:{user.pk}"
        CampaignRecipient.objects.create(
            campaign=campaign, user=user, message_key=key, token=f"tok{n}", clicked_at=clicked
        )
        Notification.objects.create(
            user=user,
            channel="email",
            kind="campaign",
            dedupe_key=f"{key}:email",
            batch_key=key,
            recipient=user.email,
            status=status,
        )
    # r0 buys 2 days after the click (counted), r1 buys 9 days after (outside the 7 days), r0 also a cancelled one.
    bought = make_order(total=3000, user=users[0], paid=at(d(2025, 6, 13)))
    make_order(total=3000, user=users[1], paid=at(d(2025, 6, 20)))
    make_order(total=3000, user=users[0], status=S.CANCELLED, paid=at(d(2025, 6, 12)))
    coupon = Coupon.objects.create(
        code="FATHER0", name="父の日", value=500, owner=users[0], issue_key=f"campaign:{campaign.pk}"
    )
    CouponRedemption.objects.create(
        coupon=coupon,
        order=bought,
        user=users[0],
        email=users[0].email,
        amount=500,
        status=CouponRedemption.Status.USED,
    )

    [row] = marketing.campaign_rows(period=JUNE)
    assert (row.recipients, row.sent, row.delivered, row.clicked, row.orders, row.coupon_uses) == (4, 3, 2, 2, 1, 1)
    assert row.click_rate == pytest.approx(2 / 3) and row.conversion_rate == pytest.approx(0.5)
    [reference] = campaign_results(campaign=campaign)
    assert (
        reference.recipients,
        reference.sent,
        reference.delivered,
        reference.clicked,
        reference.orders,
        reference.coupon_uses,
    ) == (4, 3, 2, 2, 1, 1)
    assert marketing.campaign_rows(period=DateRange(d(2025, 7, 1), d(2025, 7, 31))) == []
