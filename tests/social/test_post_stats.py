"""F64 for posts: share buttons on every card without a query per post, impressions, product taps, CTR and CVR."""

import datetime
import re

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shop.orders.models import Order
from social import services
from social.models import PostPhoto
from social.shares import services as share_services
from social.shares.models import Attribution, PostDailyStat, ShareLink
from social.shares.selectors import PostStats, post_stats, post_stats_annotate, share_funnel
from tests.factories import OrderFactory

from .conftest import make_member

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1"


def _posts(n, *, author, product):
    made = []
    for i in range(n):
        post = services.post_create(author=author, body=f"投稿{i}", product_ids=[product.pk])
        PostPhoto.objects.create(post=post, image=ContentFile(b"x", name=f"p{i}.jpg"))
        made.append(post)
    return made


def _impressions(post) -> int:
    return sum(PostDailyStat.objects.filter(post_id=post.pk).values_list("impressions", flat=True))


def test_feed_share_buttons_carry_viewer_codes_and_queries_stay_fixed(client, member, other, product):
    client.force_login(member)
    with CaptureQueriesContext(connection) as baseline:
        client.get("/feed/")
    _posts(3, author=other, product=product)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/feed/").status_code == 200
    _posts(30, author=other, product=product)
    with CaptureQueriesContext(connection) as big:
        response = client.get("/feed/")
    assert len(big.captured_queries) == len(small.captured_queries)
    assert len(big.captured_queries) - len(baseline.captured_queries) <= 12
    body = response.content.decode()
    shown = [int(pk) for pk in re.findall(r'id="post-(\d+)"', body)]
    assert len(shown) == 10
    links = ShareLink.objects.filter(sharer=member, post_id__in=shown)
    assert links.count() == 10 * len(ShareLink.Channel.values)
    for link in links.filter(channel__in=[ShareLink.Channel.COPY, ShareLink.Channel.NATIVE]):
        assert f"/s/{link.code}/" in body
    for link in links.filter(channel=ShareLink.Channel.LINE):
        assert f"%2Fs%2F{link.code}%2F" in body
    # A second view makes no new links and costs no more queries.
    made = ShareLink.objects.filter(sharer=member).count()
    with CaptureQueriesContext(connection) as again:
        client.get("/feed/")
    assert len(again.captured_queries) == len(big.captured_queries)
    assert ShareLink.objects.filter(sharer=member).count() == made


def test_anonymous_share_buttons_use_plain_post_urls(client, other, product):
    (post,) = _posts(1, author=other, product=product)
    body = client.get("/feed/").content.decode()
    assert "social-plugins.line.me/lineit/share?url=" in body
    assert f"/feed/p/{post.pk}/" in body and "/s/" not in body
    assert not ShareLink.objects.exists()


def test_post_page_share_link_opens_post(client, member, other, product):
    (post,) = _posts(1, author=other, product=product)
    client.force_login(member)
    body = client.get(post.get_absolute_url()).content.decode()
    link = ShareLink.objects.get(sharer=member, post_id=post.pk, channel=ShareLink.Channel.COPY)
    assert f"/s/{link.code}/" in body
    response = Client(HTTP_USER_AGENT=BROWSER).get(f"/s/{link.code}/")
    assert response.status_code == 302 and response.url == post.get_absolute_url()


def test_impressions_once_per_post_per_page_view(client, other, product):
    posts = _posts(12, author=other, product=product)
    client.get("/feed/")
    client.get("/feed/")
    newest, oldest = posts[-10:], posts[:2]
    assert all(_impressions(post) == 2 for post in newest)
    assert all(_impressions(post) == 0 for post in oldest)
    client.get("/feed/?page=2", HTTP_HX_REQUEST="true")
    assert all(_impressions(post) == 1 for post in oldest)
    client.get(oldest[0].get_absolute_url())
    assert _impressions(oldest[0]) == 2
    assert PostDailyStat.objects.filter(post_id=oldest[0].pk).count() == 1  # one row a day
    client.get("/feed/", HTTP_USER_AGENT="Googlebot/2.1")
    assert _impressions(posts[-1]) == 2  # crawlers are not people


@pytest.mark.django_db(transaction=True)
def test_impressions_commit_without_waiting_for_the_disk_and_only_they_do(other, product):
    posts = _posts(2, author=other, product=product)
    with CaptureQueriesContext(connection) as queries:
        share_services.post_impressions_record(post_ids=[post.pk for post in posts] * 2)
    # One statement in its own transaction (autocommit: no BEGIN or COMMIT sent), which sets synchronous_commit off
    # for that transaction while it runs.
    (statement,) = [query["sql"] for query in queries.captured_queries]
    assert statement.startswith("INSERT INTO") and "set_config('synchronous_commit', 'off', true)" in statement
    assert [_impressions(post) for post in posts] == [1, 1]
    with connection.cursor() as cursor:  # what the statement's RETURNING does, seen from inside its transaction
        cursor.execute("SELECT set_config('synchronous_commit', 'off', true), current_setting('synchronous_commit')")
        assert cursor.fetchone() == ("off", "off")
    with connection.cursor() as cursor:  # for this transaction only: the connection's next ones wait again
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
    with CaptureQueriesContext(connection) as queries:
        share_services.post_product_click_record(post_id=posts[0].pk)
    assert not any("synchronous_commit" in query["sql"] for query in queries.captured_queries)


def test_product_click_redirect_counts_and_redirects(client, other, product):
    (post,) = _posts(1, author=other, product=product)
    body = client.get("/feed/").content.decode()
    go = f"/feed/p/{post.pk}/go/{product.pk}/"
    assert go in body
    response = client.get(go)
    assert response.status_code == 302 and response.url == product.get_absolute_url()
    client.get(go)
    stat = PostDailyStat.objects.get(post_id=post.pk)
    assert (stat.impressions, stat.product_clicks) == (1, 2)
    assert client.get(f"/feed/p/{post.pk + 999}/go/{product.pk}/").status_code == 404
    assert client.get(f"/feed/p/{post.pk}/go/{product.pk + 999}/").status_code == 404
    untagged = _posts(1, author=other, product=product)[0]
    untagged.tags.all().delete()
    assert client.get(f"/feed/p/{untagged.pk}/go/{product.pk}/").status_code == 404


def test_product_click_through_a_shared_post_counts_on_the_link(client, member, other, product):
    (post,) = _posts(1, author=other, product=product)
    codes = share_services.post_share_codes_ensure(sharer=member, post_ids=[post.pk])
    visitor = Client(HTTP_USER_AGENT=BROWSER)
    visitor.get(f"/s/{codes[post.pk]['line']}/")
    visitor.get(f"/feed/p/{post.pk}/go/{product.pk}/")
    line = ShareLink.objects.get(code=codes[post.pk]["line"])
    assert line.product_clicks == 1
    funnel = share_funnel(sharer=member)
    by_channel = {row.label: row for row in funnel.channels}
    assert by_channel["LINE"].ctr == 1.0 and by_channel["X"].ctr is None
    member.refresh_from_db()
    client.force_login(member)
    assert "data-total-ctr" in client.get("/account/shares/").content.decode()


def _order(number: str, buyer) -> Order:
    return OrderFactory(
        number=number,
        user=buyer,
        payment_method=Order.PaymentMethod.BANK_TRANSFER,
        subtotal=1980,
        shipping_fee=0,
        paid_at=timezone.now(),
    )


def test_ctr_and_cvr_on_a_known_data_set(member, other, product):
    first, second = _posts(2, author=other, product=product)
    day = datetime.date(2026, 4, 1)
    PostDailyStat.objects.create(post_id=first.pk, day=day, impressions=150, product_clicks=9)
    PostDailyStat.objects.create(
        post_id=first.pk, day=day + datetime.timedelta(days=1), impressions=50, product_clicks=3
    )
    PostDailyStat.objects.create(post_id=second.pk, day=day, impressions=40, product_clicks=0)
    codes = share_services.post_share_codes_ensure(sharer=member, post_ids=[first.pk])
    link = ShareLink.objects.get(code=codes[first.pk]["x"])
    buyers = [make_member(display_name=f"b{i}") for i in range(4)]
    for i, (buyer, status) in enumerate(zip(buyers, ["confirmed", "confirmed", "confirmed", "reversed"], strict=True)):
        Attribution.objects.create(order=_order(f"T-{i}", buyer), link=link, clicked_at=timezone.now(), status=status)

    stats = post_stats(post_ids=[first.pk, second.pk, second.pk + 999])
    # first: 12 taps / 200 impressions = 6 %; 3 confirmed orders / 12 taps = 25 % (the reversed one does not count)
    assert stats[first.pk] == PostStats(impressions=200, product_clicks=12, orders=3)
    assert stats[first.pk].ctr == pytest.approx(0.06) and stats[first.pk].cvr == pytest.approx(0.25)
    assert stats[second.pk].ctr == 0 and stats[second.pk].cvr is None
    assert stats[second.pk + 999].ctr is None

    rows = {(row.post_id, row.day): row for row in post_stats_annotate(PostDailyStat.objects.all())}
    assert rows[(first.pk, day)].ctr == pytest.approx(0.06)
    assert rows[(first.pk, day)].post_total == stats[first.pk]


def test_post_stats_admin_lists_rates(admin_client_verified, other, product):
    admin_client = admin_client_verified
    (post,) = _posts(1, author=other, product=product)
    PostDailyStat.objects.create(post_id=post.pk, day=timezone.localdate(), impressions=8, product_clicks=2)
    response = admin_client.get("/admin/shares/postdailystat/")
    assert response.status_code == 200
    assert "25.0%" in response.content.decode()


def test_post_share_codes_made_by_the_database_once_in_one_statement(member, other, product):
    posts = _posts(3, author=other, product=product)
    ids = [post.pk for post in posts]
    channels = set(ShareLink.Channel.values)
    with CaptureQueriesContext(connection) as made:
        codes = share_services.post_share_codes_ensure(sharer=member, post_ids=ids)
    assert len(made.captured_queries) == 1
    assert set(codes) == set(ids) and all(set(by_channel) == channels for by_channel in codes.values())
    every_code = [code for by_channel in codes.values() for code in by_channel.values()]
    assert len(set(every_code)) == len(every_code) == 3 * len(channels)
    alphabet = set(share_services._ALPHABET)
    assert all(len(code) == 8 and set(code) <= alphabet for code in every_code)

    ShareLink.objects.filter(sharer=member, post_id=ids[0], channel="x").delete()
    with CaptureQueriesContext(connection) as again:
        second = share_services.post_share_codes_ensure(sharer=member, post_ids=[*ids, ids[0]])
    assert len(again.captured_queries) == 1
    assert second[ids[1]] == codes[ids[1]] and second[ids[2]] == codes[ids[2]]
    assert second[ids[0]]["line"] == codes[ids[0]]["line"]
    assert second[ids[0]]["x"] != codes[ids[0]]["x"]  # made again, with a new code
    assert ShareLink.objects.filter(sharer=member, post_id__in=ids).count() == 3 * len(channels)
    assert share_services.post_share_codes_ensure(sharer=other, post_ids=ids[:1])[ids[0]] != second[ids[0]]
