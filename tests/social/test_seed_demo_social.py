import io
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from shop.accounts.models import User
from shop.reviews.models import Review
from social import demo_data
from social.models import Comment, Follow, Like, Post, PostPhoto, PostProduct

pytestmark = pytest.mark.django_db

MEMBERS, POSTS, REVIEWS = 3, 6, 8


def seed_social() -> str:
    out = io.StringIO()
    call_command("seed_demo_social", members=MEMBERS, posts=POSTS, reviews=REVIEWS, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    models = (User, EmailAddress, Post, PostPhoto, PostProduct, Like, Comment, Follow, Review)
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def shop(db):
    call_command("seed_demo", products=6, stdout=io.StringIO())


def test_needs_seed_demo_first(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="seed_demo"):
        seed_social()


def test_seed_demo_social_builds_a_lively_consistent_feed(shop, client):
    seed_social()
    members = User.objects.filter(email__startswith="demo-member-").order_by("email")
    assert members.count() == MEMBERS
    assert all(m.display_name and m.check_password(demo_data.MEMBER_PASSWORD) for m in members)
    assert EmailAddress.objects.filter(user__in=members, verified=True, primary=True).count() == MEMBERS

    posts = Post.objects.filter(kind=Post.Kind.POST)
    shop_posts = demo_data.shop_post_count(POSTS)
    assert posts.filter(is_staff_post=False, author__in=members).count() == POSTS
    assert posts.filter(is_staff_post=True, author__email="staff@example.jp").count() == shop_posts
    assert posts.filter(status=Post.Status.PUBLISHED).count() == POSTS + shop_posts
    assert all(1 <= p.photos.count() <= 2 for p in posts)
    assert PostProduct.objects.filter(post__in=posts).exists()
    assert Post.objects.filter(kind__in=[Post.Kind.WANT, Post.Kind.OWN]).exists()
    now = timezone.now()
    assert all(now - timedelta(days=15) < p.created_at <= now for p in Post.objects.all())
    assert Like.objects.exists() and Comment.objects.filter(parent__isnull=False).exists()

    counted = Post.objects.annotate(
        likes_n=Count("likes", distinct=True),
        comments_n=Count("comments", filter=Q(comments__status=Comment.Status.PUBLISHED), distinct=True),
    )
    assert all(p.like_count == p.likes_n and p.comment_count == p.comments_n for p in counted)

    shopper = User.objects.get(email="shopper@example.jp")
    assert Follow.objects.filter(follower=shopper, followee__in=members).count() == 3
    assert Follow.objects.filter(follower__in=members, followee__isnull=True).count() == MEMBERS

    reviews = Review.objects.filter(user__in=members)
    assert reviews.count() == REVIEWS
    assert not reviews.exclude(status=Review.Status.PUBLISHED).exists()
    assert all(1 <= r.rating <= 5 and r.title and r.body for r in reviews)

    response = client.get("/feed/?tab=new")
    assert response.status_code == 200
    page = response.content.decode()
    assert members[0].display_name in page or members[1].display_name in page
    assert Post.objects.filter(kind=Post.Kind.POST).first().body.splitlines()[0][:10] in page


def test_second_run_adds_nothing(shop):
    seed_social()
    first = snapshot()
    out = seed_social()
    assert snapshot() == first
    assert "0 new posts" in out and "0 new reviews" in out


def test_specs_are_deterministic(shop):
    from shop.catalog.models import Product

    products = list(Product.objects.order_by("slug"))
    a = demo_data.post_specs(members=MEMBERS, posts=POSTS, products=products)
    assert a == demo_data.post_specs(members=MEMBERS, posts=POSTS, products=products)
    assert a != demo_data.post_specs(members=MEMBERS, posts=POSTS, products=products, seed=1)
    assert demo_data.photo_draw(key="x") == demo_data.photo_draw(key="x")
