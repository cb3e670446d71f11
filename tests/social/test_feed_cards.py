"""The feed's post cards rendered in Python ({% post_cards %}) are the HTML of templates/social/_post_card.html, which
the post page and profiles still use; user-typed text comes out escaped."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.db.models import Exists, OuterRef, Prefetch
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from shop.catalog.models import Variant
from shop.reviews.models import Review, ReviewPhoto
from social import selectors, services
from social.models import Like, Post, PostPhoto, PostProduct
from social.shares.views import post_cards_prepare
from tests.factories import VariantFactory

pytestmark = pytest.mark.django_db

TEMPLATE = Template('{% for post in posts %}{% include "social/_post_card.html" %}{% endfor %}')
TAG = Template("{% load feed_tags %}{% post_cards posts %}")
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def posts(member, other):
    """Posts covering every branch of the card: kinds, a held post, a shop post, photos with and without sizes,
    products with one, several, no stock or no longer on sale, with and without a brand, a review entry."""
    one = VariantFactory(product__name="リネンシャツ", product__brand="", colour="", size="").product
    several = VariantFactory(product__name='T "シャツ" & <b>', product__brand="A&B", colour="白", size="S").product
    VariantFactory(product=several, colour="", size="")
    VariantFactory(product=several, colour="黒", size="")
    sold_out = VariantFactory(stock=0).product
    ended = VariantFactory().product
    ended.available_until = timezone.now() - timedelta(days=1)
    ended.save()
    made = [
        Post.objects.create(author=other, body=f"一行目\n二行目 {SCRIPT} & 'q'", like_count=3, comment_count=1),
        Post.objects.create(author=other, body="", kind=Post.Kind.WANT, product=one, comment_count=2),
        Post.objects.create(author=other, kind=Post.Kind.OWN, product=several, body="x" * 80),
        Post.objects.create(author=member, body="お店から", is_staff_post=True),
        Post.objects.create(author=other, body="保留", status=Post.Status.HELD),
    ]
    PostPhoto.objects.create(post=made[0], image=ContentFile(b"x", name="no-size.jpg"))
    PostPhoto.objects.bulk_create([PostPhoto(post=made[0], image="posts/sized.jpg", width=640, height=480)])
    for position, product in enumerate([one, several, sold_out, ended]):
        PostProduct.objects.create(post=made[0], product=product, position=position)
    PostProduct.objects.create(post=made[2], product=several)
    review = Review.objects.create(
        product=several,
        user=other,
        rating=4,
        title=f"タイトル {SCRIPT}",
        body="よい\n" * 200,
        status=Review.Status.PUBLISHED,
        verified_purchase=True,
    )
    ReviewPhoto.objects.create(review=review, image=ContentFile(b"x", name="review.jpg"))
    made.append(services.review_post_sync(review_id=review.pk))
    services.like_set(user=member, post_id=made[0].pk, on=True)
    return made


def _render(template, *, viewer, posts, **context):
    request = RequestFactory().get("/feed/?tab=new&x=1")
    request.user = viewer
    return template.render(
        Context({"request": request, "user": viewer, "csrf_token": "TOKEN", "posts": posts, **context})
    )


def _loaded(posts, *, viewer):
    """As the pages load them (selectors._for_cards); the held post as its author sees it."""
    return [
        selectors.post_get_for_page(post_id=post.pk, viewer=viewer)
        or selectors.post_get_for_page(post_id=post.pk, viewer=post.author)
        for post in posts
    ]


@pytest.mark.parametrize("who", ["visitor", "member"])
def test_cards_are_the_post_card_template(posts, member, who):
    viewer = member if who == "member" else AnonymousUser()
    loaded = _loaded(posts, viewer=viewer)
    request = RequestFactory().get("/feed/")
    request.user = viewer
    codes = post_cards_prepare(request, posts=loaded[:3])  # some posts with the member's share codes, some without
    if who == "member":
        assert codes["post_share_codes"]
    expected = _render(TEMPLATE, viewer=viewer, posts=loaded, **codes)
    assert _render(TAG, viewer=viewer, posts=loaded, **codes) == expected
    for part in ('class="status"', 'class="author shop"', "soldout-note", "<select", 'width="640"', "post-review"):
        assert part in expected


def _loaded_by_the_orm(posts, *, viewer):
    """The same posts loaded by select_related and prefetch_related, as the cards read them before their parts
    became JSON columns of the posts' query."""
    on_sale = Variant.objects.filter(is_active=True, stock__gt=0).order_by("position", "id")
    tags = PostProduct.objects.select_related("product").prefetch_related(Prefetch("product__variants", on_sale))
    qs = Post.objects.select_related("author", "review", "product").prefetch_related(
        "photos", "review__photos", Prefetch("tags", tags)
    )
    if viewer.is_authenticated:
        qs = qs.annotate(liked=Exists(Like.objects.filter(post=OuterRef("pk"), user=viewer)))
    by_pk = qs.in_bulk([post.pk for post in posts])
    return [by_pk[post.pk] for post in posts]


@pytest.mark.parametrize("who", ["visitor", "member"])
def test_a_feed_page_reads_everything_its_cards_show_in_one_statement(posts, member, who, django_assert_num_queries):
    viewer = member if who == "member" else AnonymousUser()
    with django_assert_num_queries(1):
        page = selectors.feed_page(tab="new", viewer=viewer)
        html = _render(TAG, viewer=viewer, posts=page.posts)
    assert [post.pk for post in page.posts] == [
        post.pk
        for post in sorted(posts, key=lambda p: (p.created_at, p.pk), reverse=True)
        if post.status == "published"
    ]
    assert html == _render(TAG, viewer=viewer, posts=_loaded_by_the_orm(page.posts, viewer=viewer))
    for part in ("soldout-note", "<select", 'width="640"', "post-review", "review.jpg"):
        assert part in html


def test_user_typed_text_is_escaped(other, member):
    other.display_name = f"名前{SCRIPT}"
    other.save()
    product = VariantFactory(product__name=f"商品{SCRIPT}", product__brand=f"ブランド{SCRIPT}").product
    post = Post.objects.create(author=other, body=f'本文{SCRIPT}\n"><img src=x onerror=alert(1)>')
    PostProduct.objects.create(post=post, product=product)
    html = _render(TAG, viewer=member, posts=_loaded([post], viewer=member))
    assert SCRIPT not in html and "<img src=x" not in html
    for text in ("名前", "商品", "ブランド", "本文"):
        assert f"{text}&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'name="next" value="/feed/?tab=new&amp;x=1"' in html


def test_a_cards_lists_are_querysets_that_select_nothing_more(posts, member, django_assert_num_queries):
    """`post.photos.all()` and the like give what the post's statement read, with no query; a filter on one finds
    nothing (not another post's rows), and leaves the others as they were."""
    page = selectors.feed_page(tab="new", viewer=member)
    with_photos = next(post for post in page.posts if post.photos.all())
    photos = with_photos.photos.all()
    with django_assert_num_queries(0):
        assert len(photos) == 2 and photos.exists()
        assert [photo.post_id for photo in photos] == [with_photos.pk, with_photos.pk]
    with django_assert_num_queries(0):  # a query that selects nothing is not sent
        assert list(photos.filter(width=640)) == []
        assert photos.filter(pk__gt=0).count() == 0
    assert len(with_photos.photos.all()) == 2
    again = selectors.feed_page(tab="new", viewer=member)
    assert [len(post.photos.all()) for post in again.posts] == [len(post.photos.all()) for post in page.posts]
    assert sum(len(tag.product.variants.all()) for post in again.posts for tag in post.tags.all()) > 0
