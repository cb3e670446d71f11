"""What the product page shows a member, loaded in one query (social.selectors.product_viewer), or with the product's
own statement (shop.catalog.selectors.product_get_for_page with the viewer's id)."""

import datetime

import psycopg
import pytest
from django.utils import timezone

from shop.catalog.models import ProductImage
from shop.catalog.selectors import product_get_for_page
from shop.core.jsonrows import instances
from shop.reviews.models import Review
from social import selectors
from social import services as social_services
from social.models import Post, PostProduct
from social.shares.models import ShareLink
from social.shares.services import share_links_ensure
from tests.factories import ProductFactory, UserFactory, VariantFactory

pytestmark = pytest.mark.django_db


def review(product, user, *, rating=4, status=Review.Status.PUBLISHED, **extra):
    return Review.objects.create(product=product, user=user, rating=rating, title="t", body="b", status=status, **extra)


@pytest.fixture
def scene():
    product, other = ProductFactory(), ProductFactory()
    member = UserFactory(display_name="会員")
    friend, stranger = UserFactory(display_name="友だち"), UserFactory(display_name="他人")
    social_services.follow_set(follower=member, followee_id=friend.pk, on=True)
    Post.objects.create(author=member, kind=Post.Kind.WANT, product=product)
    Post.objects.create(author=member, kind=Post.Kind.OWN, product=other)  # another product's mark
    friend_review = review(product, friend, rating=5)
    review(product, stranger)  # not followed
    review(other, friend)  # another product
    own = review(product, member, status=Review.Status.PENDING)
    older = Post.objects.create(author=friend, body="タグ付け", status=Post.Status.PUBLISHED)
    PostProduct.objects.create(post=older, product=product)
    Post.objects.filter(pk=older.pk).update(created_at=timezone.now() - datetime.timedelta(days=1))
    newer = Post.objects.create(author=friend, kind=Post.Kind.OWN, product=product, status=Post.Status.PUBLISHED)
    Post.objects.create(author=friend, body="下書き", product=product, status=Post.Status.HIDDEN)
    Post.objects.create(author=stranger, body="他人の投稿", product=product, status=Post.Status.PUBLISHED)
    links = share_links_ensure(sharer=member, product_id=product.pk)
    return locals()


def _names(viewer) -> list[str]:
    """The people shown with what they said: attached to the rows, no query."""
    return [r.user.display_name for r in viewer.activity.reviews] + [
        p.author.display_name for p in viewer.activity.posts
    ]


def _check(viewer, scene):
    member, friend, product = scene["member"], scene["friend"], scene["product"]
    friend_review, newer, older, own, links = (scene[n] for n in ("friend_review", "newer", "older", "own", "links"))
    assert viewer.marks == {Post.Kind.WANT}
    assert [(r.pk, r.rating, r.user_id) for r in viewer.activity.reviews] == [(friend_review.pk, 5, friend.pk)]
    assert [p.pk for p in viewer.activity.posts] == [newer.pk, older.pk]  # newest first, tagged posts included
    assert _names(viewer) == ["友だち", "友だち", "友だち"]
    assert viewer.activity.posts[1].get_absolute_url() == older.get_absolute_url()
    assert viewer.share_codes == {channel: link.code for channel, link in links.items()}
    assert set(viewer.share_codes) == set(ShareLink.Channel.values)
    assert (viewer.own_review.pk, viewer.own_review.status) == (own.pk, Review.Status.PENDING)
    assert viewer.own_review.user == member and viewer.activity.reviews[0].product_id == product.pk


def test_a_member_sees_marks_followed_activity_share_codes_and_own_review_in_one_query(
    scene, django_assert_num_queries
):
    with django_assert_num_queries(1):
        viewer = selectors.product_viewer(viewer=scene["member"], product=scene["product"])
        names = _names(viewer)
    _check(viewer, scene)
    assert names == ["友だち", "友だち", "友だち"]


def test_the_product_pages_statement_brings_the_members_columns(scene, django_assert_num_queries):
    member, product = scene["member"], scene["product"]
    with django_assert_num_queries(1):
        page = product_get_for_page(slug=product.slug, viewer_id=member.pk)
        viewer = selectors.product_viewer(viewer=member, product=page.product)
        names = _names(viewer)
    _check(viewer, scene)
    assert names == ["友だち", "友だち", "友だち"]


def test_a_product_read_for_someone_else_is_not_taken_for_the_viewers(scene, django_assert_num_queries):
    member, friend, product = scene["member"], scene["friend"], scene["product"]
    page = product_get_for_page(slug=product.slug, viewer_id=friend.pk)
    with django_assert_num_queries(1):
        viewer = selectors.product_viewer(viewer=member, product=page.product)
    _check(viewer, scene)
    visitor_page = product_get_for_page(slug=product.slug)
    assert not hasattr(visitor_page.product, "viewer_columns_of")
    with django_assert_num_queries(1):
        assert selectors.product_viewer(viewer=member, product=visitor_page.product).marks == {Post.Kind.WANT}


def test_psycopg_converts_the_members_product_statement_once():
    """It is longer than psycopg remembers by default (4096 bytes, 50 parameters): shop.core.db.postgresql."""
    member, product = UserFactory(), ProductFactory()
    product_get_for_page(slug=product.slug, viewer_id=member.pk)
    before = psycopg._queries._query2pg.cache_info()
    product_get_for_page(slug=product.slug, viewer_id=member.pk)
    after = psycopg._queries._query2pg.cache_info()
    assert after.hits == before.hits + 1 and after.misses == before.misses


def test_a_visitor_costs_no_query(django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    product = ProductFactory()
    with django_assert_num_queries(0):
        viewer = selectors.product_viewer(viewer=AnonymousUser(), product=product)
    assert not viewer.marks and not viewer.activity and viewer.share_codes == {} and viewer.own_review is None


def test_product_page_loads_images_and_variants_in_order_with_the_product(django_assert_num_queries):
    product = ProductFactory()
    second = VariantFactory(product=product, size="L", position=2, price=5500)
    first = VariantFactory(product=product, size="S", position=1, price=4400)
    VariantFactory(product=product, size="XL", is_active=False)
    ProductImage.objects.create(product=product, image="products/b.jpg", width=10, height=10, position=2)
    ProductImage.objects.create(
        product=product, image="products/a.jpg", width=10, height=10, position=1, renditions={"webp": {"320": "x"}}
    )

    with django_assert_num_queries(1):
        page = product_get_for_page(slug=product.slug)
        assert [v.pk for v in page.variants] == [first.pk, second.pk]
        assert page.variants[0].price_money.amount == 4400  # reads the product: no query
        assert [i.image.name for i in page.images] == ["products/a.jpg", "products/b.jpg"]
        assert page.images[0].renditions == {"webp": {"320": "x"}}
        assert page.product.category.name
    assert page.variants[0].created_at.tzinfo is not None


def test_rows_as_sqlite_returns_them_become_the_same_instances():
    """SQLite (the demo) nests JSON columns as text and keeps datetimes as naive UTC text."""
    product = ProductFactory.build(pk=7)
    rows = '[{"id": 3, "image": "products/a.jpg", "width": 8, "height": 8, "alt": "", "position": 1, "renditions": "{\\"webp\\": {}}"}]'
    (image,) = instances(ProductImage, rows, product=product)
    assert (image.pk, image.image.name, image.renditions, image.product) == (3, "products/a.jpg", {"webp": {}}, product)
    (variant,) = instances(
        VariantFactory._meta.model,
        [{"id": 1, "sku": "S-1", "price": "4400", "created_at": "2026-11-23 02:00:00", "is_active": True}],
        product=product,
    )
    assert variant.price == 4400
    assert variant.created_at == datetime.datetime(2026, 11, 23, 2, tzinfo=datetime.UTC)
