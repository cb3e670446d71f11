import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shop.reviews import selectors as review_selectors
from shop.reviews import services as review_services
from shop.reviews.models import Review, ReviewPhoto
from social import services
from social.models import Post
from tests.factories import VariantFactory

from .conftest import make_member

pytestmark = pytest.mark.django_db


def _review(user, product, *, photos: int = 1, title: str = "とても良い") -> Review:
    review = Review.objects.create(user=user, product=product, rating=4, title=title, body="肌ざわりが最高")
    for i in range(photos):
        ReviewPhoto.objects.create(review=review, image=ContentFile(b"x", name=f"r{review.pk}-{i}.jpg"), position=i)
    return review


def _moderate(capture, review, action):
    with capture(execute=True):
        review_services.review_moderate(review_ids=[review.pk], action=action)


def test_publishing_a_review_with_a_photo_makes_one_feed_post(
    client, member, product, django_capture_on_commit_callbacks
):
    review = _review(member, product)
    _moderate(django_capture_on_commit_callbacks, review, "publish")
    _moderate(django_capture_on_commit_callbacks, review, "publish")
    _moderate(django_capture_on_commit_callbacks, review, "feature")
    post = Post.objects.get()
    assert (post.kind, post.review_id, post.product_id, post.author_id) == ("review", review.pk, product.pk, member.pk)
    assert post.status == Post.Status.PUBLISHED
    services.review_post_sync(review_id=review.pk)
    assert Post.objects.count() == 1
    html = client.get("/feed/?tab=new").content.decode()
    assert "とても良い" in html and product.name in html and f"r{review.pk}-0" in html and "★" in html


def test_a_review_without_photos_or_not_published_makes_no_post(member, product, django_capture_on_commit_callbacks):
    review = _review(member, product, photos=0)
    _moderate(django_capture_on_commit_callbacks, review, "publish")
    assert not Post.objects.exists()
    pending = _review(make_member(), product)
    with django_capture_on_commit_callbacks(execute=True):
        review_services.review_moderate(review_ids=[pending.pk], action="unfeature")
    assert not Post.objects.exists()


def test_hiding_the_review_hides_the_post_and_publishing_again_restores_it(
    client, member, product, django_capture_on_commit_callbacks
):
    review = _review(member, product)
    _moderate(django_capture_on_commit_callbacks, review, "publish")
    _moderate(django_capture_on_commit_callbacks, review, "hide")
    post = Post.objects.get()
    assert post.status == Post.Status.HIDDEN
    assert "とても良い" not in client.get("/feed/?tab=new").content.decode()
    assert client.get(post.get_absolute_url()).status_code == 404
    _moderate(django_capture_on_commit_callbacks, review, "publish")
    assert Post.objects.get().status == Post.Status.PUBLISHED
    # A post staff hid themselves stays hidden when the review is published again.
    services.post_moderate(post_id=post.pk, hide=True)
    _moderate(django_capture_on_commit_callbacks, review, "publish")
    assert Post.objects.get().status == Post.Status.HIDDEN


def test_removing_the_last_photo_on_edit_hides_the_post(
    member, product, monkeypatch, django_capture_on_commit_callbacks
):
    review = _review(member, product)
    _moderate(django_capture_on_commit_callbacks, review, "publish")
    monkeypatch.setattr(review_selectors, "user_bought_product", lambda **kwargs: True)  # a verified buyer
    with django_capture_on_commit_callbacks(execute=True):
        review_services.review_save(
            user=member,
            product=product,
            rating=3,
            title="やっぱり普通",
            body="写真は消しました",
            remove_photo_ids=list(review.photos.values_list("pk", flat=True)),
        )
    assert Review.objects.get().status == Review.Status.PUBLISHED
    assert Post.objects.get().status == Post.Status.HIDDEN


def test_feed_queries_do_not_grow_with_review_posts(client, member, django_capture_on_commit_callbacks):
    client.force_login(member)
    client.get("/feed/?tab=new")

    def add(n):
        for _ in range(n):
            review = _review(make_member(), VariantFactory().product, photos=2)
            _moderate(django_capture_on_commit_callbacks, review, "publish")

    add(1)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/feed/?tab=new").status_code == 200
    add(5)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/feed/?tab=new").status_code == 200
    assert Post.objects.filter(kind="review").count() == 6
    assert len(many) == len(few)


def test_a_follower_sees_the_followees_review_first_on_the_product_page(
    client, member, other, product, django_capture_on_commit_callbacks
):
    services.follow_set(follower=member, followee_id=other.pk, on=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.product_mark_set(user=other, product_id=product.pk, kind="want", on=True)
    review = _review(other, product, photos=0, title="<script>alert(1)</script>買ってよかった")
    _moderate(django_capture_on_commit_callbacks, review, "publish")
    client.force_login(member)
    html = client.get(product.get_absolute_url()).content.decode()
    block = html[html.index("followed-said") :]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;買ってよかった" in block
    assert "<script>alert(1)</script>" not in html
    assert block.index("followed-review") < block.index("たろう", block.index("</li>"))
    # A hidden review is not listed; anonymous visitors see no block.
    _moderate(django_capture_on_commit_callbacks, review, "hide")
    assert "買ってよかった" not in client.get(product.get_absolute_url()).content.decode()
    client.logout()
    assert "followed-said" not in client.get(product.get_absolute_url()).content.decode()
