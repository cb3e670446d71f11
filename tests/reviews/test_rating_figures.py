"""The published-review figures stored on each product (Product.review_count, rating_average, rating_counts): kept
equal to the reviews through every way a review changes, and what cards and product pages show."""

import importlib
import threading

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shop.catalog.models import Product
from shop.reviews import services
from shop.reviews.models import Review
from tests.factories import ProductFactory, VariantFactory

from .conftest import make_user
from .test_reviews import publish, write


def figures(product) -> tuple:
    product.refresh_from_db()
    return product.review_count, product.rating_average, product.rating_counts


def test_only_published_reviews_count_and_every_change_is_counted_again(product):
    assert figures(product) == (0, None, [])
    five = publish(write(make_user(), product, rating=5))
    four = publish(write(make_user(), product, rating=4))
    write(make_user(), product, rating=1)  # pending
    assert figures(product) == (2, 4.5, [0, 0, 0, 1, 1])

    services.review_moderate(review_ids=[four.pk], action="hide")
    assert figures(product) == (1, 5.0, [0, 0, 0, 0, 1])

    five.rating = 2  # as staff's admin form saves it
    five.save()
    assert figures(product) == (1, 2.0, [0, 1, 0, 0, 0])

    five.delete()
    assert figures(product) == (0, None, [])


def test_moderating_reviews_of_several_products_counts_each(product):
    other = ProductFactory(name="別の商品", slug="other-product")
    VariantFactory(product=other, sku="O-1", price=1000, stock=5)
    pending = [write(make_user(), product, rating=3), write(make_user(), other, rating=1), write(make_user(), other)]
    services.review_moderate(review_ids=[review.pk for review in pending], action="publish")
    assert figures(product) == (1, 3.0, [0, 0, 1, 0, 0])
    assert figures(other) == (2, 3.0, [1, 0, 0, 0, 1])


def test_staff_edit_and_delete_in_admin_are_counted(admin_client_verified, product):
    review = publish(write(make_user(), product, rating=4))
    form = {
        "product": product.pk,
        "user": review.user_id,
        "rating": 1,
        "title": review.title,
        "body": review.body,
        "status": "published",
        "photos-TOTAL_FORMS": 0,
        "photos-INITIAL_FORMS": 0,
    }
    response = admin_client_verified.post(f"/admin/reviews/review/{review.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert figures(product) == (1, 1.0, [1, 0, 0, 0, 0])
    response = admin_client_verified.post(f"/admin/reviews/review/{review.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert figures(product) == (0, None, [])


def test_a_user_deleted_with_their_reviews_leaves_no_stars(product):
    user = make_user()
    publish(write(user, product, rating=5))
    user.delete()
    assert figures(product) == (0, None, [])


@pytest.mark.django_db(transaction=True)
def test_reviews_published_at_the_same_moment_are_all_counted(product):
    pending = [write(make_user(), product, rating=rating) for rating in (1, 2, 3, 4, 5, 5)]
    barrier = threading.Barrier(len(pending))
    errors = []

    def publish_one(review_id):
        try:
            barrier.wait()
            services.review_moderate(review_ids=[review_id], action="publish")
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=publish_one, args=(review.pk,)) for review in pending]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert figures(product) == (6, 3.3, [1, 1, 1, 1, 2])


def test_rebuild_counts_reviews_loaded_around_the_orm(product):
    users = [make_user() for _ in range(3)]
    Review.objects.bulk_create(
        Review(product=product, user=user, rating=rating, title="t", body="b", status=Review.Status.PUBLISHED)
        for user, rating in zip(users, (5, 4, 4), strict=True)
    )
    stale = ProductFactory(name="古い数字", slug="stale")
    Product.objects.filter(pk=stale.pk).update(review_count=3, rating_average=1.0, rating_counts=[3, 0, 0, 0, 0])
    assert figures(product) == (0, None, [])
    call_command("reviews_ratings_rebuild", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert figures(product) == (3, 4.3, [0, 0, 0, 2, 1])
    assert figures(stale) == (0, None, [])


def test_the_migration_fills_the_figures_of_existing_reviews(product):
    Review.objects.bulk_create(
        Review(product=product, user=make_user(), rating=rating, title="t", body="b", status=status)
        for rating, status in ((5, "published"), (2, "published"), (1, "pending"), (1, "hidden"))
    )
    migration = importlib.import_module("shop.reviews.migrations.0003_product_review_figures")
    migration.fill(apps, None)
    assert figures(product) == (2, 3.5, [0, 1, 0, 0, 1])


def test_cards_and_the_product_page_show_the_stored_stars_without_a_review_query(client, product):
    for rating in (5, 5, 4):
        publish(write(make_user(), product, rating=rating))
    with CaptureQueriesContext(connection) as listing:
        html = client.get("/products/").content.decode()
    assert '<span class="stars" aria-hidden="true">★★★★★</span>' in html  # 4.7
    assert '<span class="count">(3)</span>' in html
    assert not [q for q in listing.captured_queries if "reviews_review" in q["sql"]]

    page = client.get(product.get_absolute_url()).content.decode()
    assert "<strong>4.7</strong>" in page
    assert 'data-stars="5">2<' in page and 'data-stars="4">1<' in page and 'data-stars="3">0<' in page
