import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from social import services
from social.exceptions import SocialError
from social.models import BlockedKeyword, Comment, Follow, Like, Post, Report

from .conftest import make_member

pytestmark = pytest.mark.django_db


def test_like_twice_counts_once(member, other):
    post = services.post_create(author=other, body="今日のコーデ")
    services.like_set(user=member, post_id=post.pk, on=True)
    services.like_set(user=member, post_id=post.pk, on=True)
    post.refresh_from_db()
    assert post.like_count == 1 and Like.objects.count() == 1
    services.like_set(user=member, post_id=post.pk, on=False)
    services.like_set(user=member, post_id=post.pk, on=False)
    post.refresh_from_db()
    assert post.like_count == 0 and Like.objects.count() == 0


def test_follow_and_report_not_doubled(member, other):
    services.follow_set(follower=member, followee_id=other.pk, on=True)
    services.follow_set(follower=member, followee_id=other.pk, on=True)
    services.follow_set(follower=member, followee_id=None, on=True)
    services.follow_set(follower=member, followee_id=None, on=True)
    assert Follow.objects.count() == 2
    with pytest.raises(SocialError):
        services.follow_set(follower=member, followee_id=member.pk, on=True)
    post = services.post_create(author=other, body="hello")
    services.report_create(reporter=member, post_id=post.pk, reason="spam")
    services.report_create(reporter=member, post_id=post.pk, reason="spam")
    assert Report.objects.count() == 1


def test_comment_replay_and_one_level_replies(member, other):
    post = services.post_create(author=other, body="hello")
    first = services.comment_add(user=member, post_id=post.pk, body="かわいい", client_token="t1")
    again = services.comment_add(user=member, post_id=post.pk, body="かわいい", client_token="t1")
    assert first.pk == again.pk
    reply = services.comment_add(user=other, post_id=post.pk, body="ありがとう", parent_id=first.pk, client_token="t2")
    deeper = services.comment_add(user=member, post_id=post.pk, body="!", parent_id=reply.pk, client_token="t3")
    assert reply.parent_id == first.pk and deeper.parent_id == first.pk
    post.refresh_from_db()
    assert post.comment_count == 3


def test_keyword_filter_holds_post_and_comment(member, other):
    BlockedKeyword.objects.create(word="副業")
    post = services.post_create(author=member, body="簡単な ＦＵＫＵ 副業 で稼げる")
    assert post.status == Post.Status.HELD
    ok = services.post_create(author=other, body="普通の投稿")
    comment = services.comment_add(user=member, post_id=ok.pk, body="副業しませんか")
    assert comment.status == Comment.Status.HELD
    ok.refresh_from_db()
    assert ok.comment_count == 0


def test_post_requires_verified_email(db):
    user = make_member(verified=False)
    with pytest.raises(SocialError):
        services.post_create(author=user, body="hi")


def test_report_puts_post_in_queue_and_staff_hide(member, other, admin_client):
    post = services.post_create(author=other, body="怪しい投稿")
    services.report_create(reporter=member, post_id=post.pk, reason="spam")
    response = admin_client.get("/admin/social/post/?queue=review")
    if response.status_code == 200:
        assert "怪しい投稿" in response.content.decode()
    services.post_moderate(post_id=post.pk, hide=True)
    post.refresh_from_db()
    assert post.status == Post.Status.HIDDEN
    assert not Report.objects.filter(resolved_at__isnull=True).exists()


def test_scheduled_post_published_by_command(db):
    staff = make_member(is_staff=True)
    due = services.post_create(
        author=staff, body="本日の新作", is_staff_post=True, publish_at=timezone.now() + timezone.timedelta(hours=1)
    )
    later = services.post_create(
        author=staff, body="明日の新作", is_staff_post=True, publish_at=timezone.now() + timezone.timedelta(days=2)
    )
    assert due.status == Post.Status.SCHEDULED
    Post.objects.filter(pk=due.pk).update(publish_at=timezone.now() - timezone.timedelta(minutes=1))
    call_command("publish_scheduled_posts")
    call_command("publish_scheduled_posts")
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.status == Post.Status.PUBLISHED and later.status == Post.Status.SCHEDULED


def test_want_own_toggles(member, product):
    for _ in range(2):
        services.product_mark_set(user=member, product_id=product.pk, kind="want", on=True)
    services.product_mark_set(user=member, product_id=product.pk, kind="own", on=True)
    assert Post.objects.filter(author=member, kind="want").count() == 1
    assert Post.objects.filter(author=member, kind="own").count() == 1
    services.product_mark_set(user=member, product_id=product.pk, kind="want", on=False)
    services.product_mark_set(user=member, product_id=product.pk, kind="want", on=False)
    assert not Post.objects.filter(author=member, kind="want").exists()


def _in_threads(target, n=6):
    barrier = threading.Barrier(n)
    errors = []

    def run():
        try:
            barrier.wait()
            target()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_likes_follows_reports_comments_not_doubled():
    member = make_member(display_name="a")
    other = make_member(display_name="b")
    post = services.post_create(author=other, body="hello")
    _in_threads(lambda: services.like_set(user=member, post_id=post.pk, on=True))
    _in_threads(lambda: services.follow_set(follower=member, followee_id=other.pk, on=True))
    _in_threads(lambda: services.follow_set(follower=member, followee_id=None, on=True))
    _in_threads(lambda: services.report_create(reporter=member, post_id=post.pk, reason="spam"))
    _in_threads(lambda: services.comment_add(user=member, post_id=post.pk, body="x", client_token="same"))
    post.refresh_from_db()
    assert post.like_count == 1 and Like.objects.count() == 1
    assert Follow.objects.count() == 2
    assert Report.objects.count() == 1
    assert Comment.objects.count() == 1 and post.comment_count == 1
