"""The daily digest of likes, comments and new followers: one message per member who got any in the last 24 hours.

A notification, not marketing: no consent needed, but members can switch the "social" group off per channel in
their notification settings (the outbox then writes the row as skipped). The window is the 24 hours up to the run's
`now` and the dedupe key names the member and the day (JST), so a second run the same day writes nothing again.
"""

import datetime
from collections import Counter, defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from shop.notifications.models import Notification
from shop.notifications.selectors import JST, site_url
from shop.notifications.services import notification_enqueue
from shop.orders.models import Order

from .models import Comment, Follow, Like, Post

WINDOW = datetime.timedelta(hours=24)
TOP_POSTS = 3
TOP_FOLLOWERS = 3


def _key(user_id: int, now: datetime.datetime) -> str:
    return f"social_digest:{user_id}:{now.astimezone(JST).date().isoformat()}"


def _language(user_id: int) -> str:
    """Members have no language setting: the one they last ordered in, else Japanese."""
    language = Order.objects.filter(user_id=user_id).order_by("-created_at").values_list("language", flat=True).first()
    return language or settings.LANGUAGE_CODE


def _activity(*, since: datetime.datetime, until: datetime.datetime):
    """Per member: likes and comments others left on their published posts, and who started following them."""
    window = {"created_at__gt": since, "created_at__lte": until}
    likes = (
        Like.objects.filter(**window, post__status=Post.Status.PUBLISHED)
        .exclude(user_id=F("post__author_id"))
        .values_list("post__author_id", "post_id")
    )
    comments = (
        Comment.objects.filter(**window, status=Comment.Status.PUBLISHED, post__status=Post.Status.PUBLISHED)
        .exclude(user_id=F("post__author_id"))
        .values_list("post__author_id", "post_id")
    )
    follows = Follow.objects.filter(**window, followee__isnull=False).order_by("-created_at")
    liked: dict[int, Counter] = defaultdict(Counter)
    commented: dict[int, Counter] = defaultdict(Counter)
    followers: dict[int, list[int]] = defaultdict(list)
    for author_id, post_id in likes:
        liked[author_id][post_id] += 1
    for author_id, post_id in comments:
        commented[author_id][post_id] += 1
    for followee_id, follower_id in follows.values_list("followee_id", "follower_id"):
        followers[followee_id].append(follower_id)
    return liked, commented, followers


def _context(*, liked: Counter, commented: Counter, follower_ids: list[int], language: str) -> dict:
    scores = liked + commented
    top_ids = [post_id for post_id, _count in scores.most_common(TOP_POSTS)]
    posts = Post.objects.in_bulk(top_ids)
    users = get_user_model().objects.in_bulk(follower_ids[:TOP_FOLLOWERS])
    with translation.override(language):
        top_posts = [
            {
                "title": Truncator(posts[post_id].body).chars(40) or _("Your post"),
                "likes": liked[post_id],
                "comments": commented[post_id],
                "url": site_url() + posts[post_id].get_absolute_url(),
            }
            for post_id in top_ids
            if post_id in posts
        ]
    return {
        "language": language,
        "like_count": sum(liked.values()),
        "comment_count": sum(commented.values()),
        "follower_count": len(follower_ids),
        "top_posts": top_posts,
        "new_followers": [str(users[pk]) for pk in follower_ids[:TOP_FOLLOWERS] if pk in users],
        "feed_url": site_url() + reverse("social:feed"),
    }


def social_digests_send(*, now: datetime.datetime | None = None) -> int:
    """The daily job (beat at 19:00 JST, `manage.py send_social_digest`). Returns how many digests were written."""
    now = now or timezone.now()
    liked, commented, followers = _activity(since=now - WINDOW, until=now)
    user_ids = sorted(set(liked) | set(commented) | set(followers))
    members = get_user_model().objects.filter(pk__in=user_ids, is_active=True).in_bulk()
    written = 0
    for user_id in user_ids:
        user = members.get(user_id)
        key = _key(user_id, now)
        if user is None or Notification.objects.filter(batch_key=key).exists():
            continue
        context = _context(
            liked=liked.get(user_id, Counter()),
            commented=commented.get(user_id, Counter()),
            follower_ids=followers.get(user_id, []),
            language=_language(user_id),
        )
        if notification_enqueue(kind="social_digest", user=user, context=context, dedupe_key=key, now=now):
            written += 1
    return written
