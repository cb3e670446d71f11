import dataclasses
import datetime
import threading

import pytest
from django.db import connection
from django.utils import translation

from shop.jinja_env import date as date_filter
from shop.reviews import selectors, services
from shop.reviews.exceptions import ReviewError
from shop.reviews.models import Review, ReviewPhoto, ReviewVote
from shop.reviews.templatetags import reviews_tags
from tests.catalog.test_views import make_products
from tests.factories import ProductFactory

from .conftest import buy, make_user

XSS = "<script>alert(1)</script>"


def write(user, product, *, rating=5, title="とても良い", body="肌ざわりが良いです。"):
    return services.review_save(user=user, product=product, rating=rating, title=title, body=body)


def publish(review):
    services.review_moderate(review_ids=[review.pk], action="publish")
    review.refresh_from_db()
    return review


def test_verified_badge_only_for_buyers(client, product, shipping_methods):
    buyer = make_user(display_name="かいもの")
    browser = make_user(display_name="みるだけ")
    buy(buyer, product.variants.first())
    bought = write(buyer, product, title="買いました")
    looked = write(browser, product, title="見ただけ")
    assert bought.verified_purchase and bought.status == Review.Status.PUBLISHED
    assert not looked.verified_purchase and looked.status == Review.Status.PENDING
    publish(looked)
    html = client.get(product.get_absolute_url()).content.decode()
    assert html.count("購入確認済み") + html.count("Verified purchase") == 1


def test_a_buyers_review_the_spam_filter_holds_waits_for_staff_with_the_reason(product):
    buyer = make_user(display_name="かいもの")
    buy(buyer, product.variants.first())
    review = write(buyer, product, title="在宅で稼げる副業を紹介します")
    assert review.verified_purchase and review.status == Review.Status.PENDING
    assert "副業" in review.held_reason
    clean = write(buyer, product, title="サイズぴったりでした")
    assert clean.status == Review.Status.PUBLISHED and clean.held_reason == ""


def test_one_review_per_user_and_product_an_edit_updates_it(client, product, verified_user):
    write(verified_user, product, rating=2, title="最初")
    write(verified_user, product, rating=4, title="書き直し")
    review = Review.objects.get()
    assert (review.rating, review.title) == (4, "書き直し")
    client.force_login(verified_user)
    response = client.post(
        f"/p/{product.slug}/reviews/write/", {"rating": "3", "title": "フォームから", "body": "本文"}
    )
    assert response.status_code == 302
    assert Review.objects.count() == 1
    assert Review.objects.get().title == "フォームから"


def test_unverified_email_is_refused_with_a_message(client, product):
    user = make_user(verified=False)
    with pytest.raises(ReviewError):
        write(user, product)
    client.force_login(user)
    page = client.get(f"/p/{product.slug}/reviews/write/")
    assert page.status_code == 200
    assert "confirm your e-mail" in page.content.decode() or "メール" in page.content.decode()
    response = client.post(f"/p/{product.slug}/reviews/write/", {"rating": "5", "title": "t", "body": "b"})
    assert response.status_code == 403
    assert not Review.objects.exists()


def test_signed_out_visitor_is_sent_to_sign_in(client, product):
    response = client.get(f"/p/{product.slug}/reviews/write/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_rating_outside_1_to_5_is_refused(product, verified_user):
    with pytest.raises(ReviewError):
        write(verified_user, product, rating=6)


def test_votes_are_not_doubled_by_a_second_call(client, product, verified_user):
    review = publish(write(make_user(), product))
    _review, first = services.review_vote_helpful(user=verified_user, review_id=review.pk)
    _review, second = services.review_vote_helpful(user=verified_user, review_id=review.pk)
    assert (first, second) == (True, False)
    client.force_login(verified_user)
    client.post(f"/reviews/{review.pk}/helpful/", headers={"HX-Request": "true"})
    client.post(f"/reviews/{review.pk}/helpful/")
    review.refresh_from_db()
    assert review.helpful_count == 1 and ReviewVote.objects.count() == 1


def test_own_review_cannot_be_voted(product, verified_user):
    review = publish(write(verified_user, product))
    with pytest.raises(ReviewError):
        services.review_vote_helpful(user=verified_user, review_id=review.pk)


@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_count_once(product):
    review = publish(write(make_user(), product))
    voter = make_user()
    barrier = threading.Barrier(6)
    errors = []

    def vote():
        try:
            barrier.wait()
            services.review_vote_helpful(user=voter, review_id=review.pk)
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=vote) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    review.refresh_from_db()
    assert errors == []
    assert review.helpful_count == 1 and ReviewVote.objects.count() == 1


def test_average_and_distribution(client, product):
    for rating in (5, 5, 4, 2):
        publish(write(make_user(), product, rating=rating))
    write(make_user(), product, rating=1)  # pending: not counted
    product.refresh_from_db()
    summary = selectors.review_summary(product)
    assert summary.count == 4
    assert summary.average == 4.0
    assert summary.distribution == {5: 2, 4: 1, 3: 0, 2: 1, 1: 0}
    html = client.get(product.get_absolute_url()).content.decode()
    assert 'data-stars="5">2<' in html and 'data-stars="1">0<' in html


def test_hidden_and_pending_reviews_are_not_shown(client, product):
    publish(write(make_user(), product, title="公開レビュー"))
    write(make_user(), product, title="確認待ちレビュー")
    hidden = publish(write(make_user(), product, title="非表示レビュー"))
    services.review_moderate(review_ids=[hidden.pk], action="hide")
    html = client.get(product.get_absolute_url()).content.decode()
    assert "公開レビュー" in html
    assert "確認待ちレビュー" not in html and "非表示レビュー" not in html


def test_reviewer_email_is_never_on_the_page(client, product):
    named = make_user(email="secret-named@example.jp", display_name="ゆみ")
    unnamed = make_user(email="secret-unnamed@example.jp", display_name="")
    publish(write(named, product, title="A"))
    publish(write(unnamed, product, title="B"))
    Review.objects.update(is_featured=True)
    for path in (product.get_absolute_url(), "/"):
        html = client.get(path).content.decode()
        assert "secret-named" not in html and "secret-unnamed" not in html
    html = client.get(product.get_absolute_url()).content.decode()
    assert "ゆみ" in html


def test_script_in_a_review_is_escaped(client, product):
    author = make_user(display_name=XSS)
    review = publish(write(author, product, title=XSS, body=XSS))
    services.review_moderate(review_ids=[review.pk], action="feature")
    for path in (product.get_absolute_url(), "/"):
        html = client.get(path).content.decode()
        assert XSS not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_sort_filter_and_htmx_list(client, product):
    low = publish(write(make_user(), product, rating=1, title="ひくい"))
    publish(write(make_user(), product, rating=5, title="たかい"))
    html = client.get(f"/p/{product.slug}/reviews/?rsort=lowest", headers={"HX-Request": "true"}).content.decode()
    assert html.index("ひくい") < html.index("たかい")
    html = client.get(f"/p/{product.slug}/reviews/?rstars=5", headers={"HX-Request": "true"}).content.decode()
    assert "たかい" in html and "ひくい" not in html
    services.review_moderate(review_ids=[low.pk], action="feature")
    html = client.get(f"{product.get_absolute_url()}?rsort=highest").content.decode()
    assert html.index("ひくい") < html.index("たかい"), "featured reviews come first"
    assert client.get(f"/p/{product.slug}/reviews/?rsort=lowest").status_code == 302


def test_the_lists_photos_in_their_order_at_most_four(product, django_assert_num_queries):
    """Each review of a page carries its photos' paths in their order (position, then id), at most MAX_PHOTOS of
    them, read by the list's one statement; "with photos" keeps only reviews that have some."""
    plain = publish(write(make_user(), product, title="写真なし"))
    pictured = publish(write(make_user(), product, title="写真あり"))
    for position, name in [(2, "c"), (0, "a"), (4, "e"), (1, "b"), (3, "d")]:
        ReviewPhoto.objects.create(review=pictured, image=f"reviews/2026/11/{name}.jpg", position=position)

    with django_assert_num_queries(1):
        page = selectors.review_list_published(product_id=product.pk, published_count=2)
    photos = {review.title: review.photo_names for review in page.reviews}
    assert photos == {"写真なし": (), "写真あり": tuple(f"reviews/2026/11/{n}.jpg" for n in "abcd")}
    assert plain.pk not in [
        r.pk for r in selectors.review_list_published(product_id=product.pk, with_photos=True).reviews
    ]


def _many_reviews(product, count):
    for i in range(count):
        publish(write(make_user(), product, rating=1 + i % 5, title=f"レビュー{i}"))


def test_product_page_query_count_is_constant(client, product, django_assert_max_num_queries):
    make_products(5, product.category)
    _many_reviews(product, 2)
    client.get(product.get_absolute_url())
    with django_assert_max_num_queries(8) as small:
        client.get(product.get_absolute_url())
    _many_reviews(product, 18)
    for other in ProductFactory._meta.model.objects.exclude(pk=product.pk):
        publish(write(make_user(), other, rating=3))
    with django_assert_max_num_queries(8) as large:
        client.get(product.get_absolute_url())
    assert len(small.captured_queries) == len(large.captured_queries)


@pytest.mark.parametrize("path", ["/", "/products/", "/c/knit/"])
def test_listing_query_count_is_constant(client, product, path, django_assert_max_num_queries):
    make_products(5, product.category)
    _many_reviews(product, 2)
    client.get(path)
    with django_assert_max_num_queries(7) as small:
        client.get(path)
    _many_reviews(product, 18)
    for other in ProductFactory._meta.model.objects.exclude(pk=product.pk):
        publish(write(make_user(), other, rating=4))
    Review.objects.update(is_featured=True)
    with django_assert_max_num_queries(7) as large:
        html = client.get(path).content.decode()
    assert len(small.captured_queries) == len(large.captured_queries)
    assert "★" in html


def test_admin_lists_and_moderates(admin_client_verified, product):
    review = write(make_user(), product)
    assert admin_client_verified.get("/admin/reviews/review/?status__exact=pending").status_code == 200
    assert admin_client_verified.get(f"/admin/reviews/review/{review.pk}/change/").status_code == 200
    admin_client_verified.post("/admin/reviews/review/", {"action": "feature", "_selected_action": [review.pk]})
    review.refresh_from_db()
    assert review.status == Review.Status.PUBLISHED and review.is_featured


def test_the_home_page_shows_featured_reviews_of_products_on_sale_newest_first(
    client, product, django_assert_num_queries
):
    ended = ProductFactory(name="販売終了", is_active=False)
    featured = []
    for n in range(3):
        review = publish(write(make_user(display_name=f"レビュアー{n}"), product, title=f"おすすめ{n}"))
        featured.append(review)
    hidden_product = publish(write(make_user(), ended, title="終了品"))
    not_featured = publish(write(make_user(), product, title="ふつう"))
    pending = write(make_user(), product, title="審査中")
    Review.objects.filter(pk__in=[r.pk for r in (*featured, hidden_product, pending)]).update(is_featured=True)
    ReviewPhoto.objects.create(review=featured[1], image="reviews/2026/11/a.jpg", position=1)
    ReviewPhoto.objects.create(review=featured[1], image="reviews/2026/11/b.jpg", position=0)

    with django_assert_num_queries(1):
        shown = selectors.review_list_featured(limit=2)
    assert [r.title for r in shown] == ["おすすめ2", "おすすめ1"]
    assert selectors.review_photo_names(shown[1]) == ["reviews/2026/11/b.jpg", "reviews/2026/11/a.jpg"]
    assert (shown[0].product.name, selectors.reviewer_name(shown[0])) == ("ふんわりニット", "レビュアー2")
    assert not_featured.title not in [r.title for r in selectors.review_list_featured()]

    with translation.override("ja"):
        html = client.get("/").content.decode()
    assert all(f"おすすめ{n}" in html for n in range(3)) and "終了品" not in html and "審査中" not in html
    assert "/media/reviews/2026/11/b.jpg" in html


def test_the_helpful_form_on_the_page_and_as_the_vote_answer(client, product, verified_user):
    """One home for the form (reviews_tags.helpful_form): the product page's list and the htmx vote's answer."""
    review = publish(write(make_user(), product))
    client.force_login(verified_user)
    page = client.get(product.get_absolute_url()).content.decode()
    form = page[page.index('<form class="helpful"') : page.index("</form>", page.index('<form class="helpful"'))]
    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    assert f'action="/reviews/{review.pk}/helpful/"' in form and f'hx-post="/reviews/{review.pk}/helpful/"' in form
    assert 'name="csrfmiddlewaretoken" value="' in form and token
    assert f'value="{product.get_absolute_url()}#review-{review.pk}"' in form
    assert "aria-pressed" not in form and "0人が参考になったと回答" in form

    answer = client.post(f"/reviews/{review.pk}/helpful/", headers={"HX-Request": "true"}).content.decode()
    assert answer.startswith('<form class="helpful"') and 'disabled aria-pressed="true"' in answer
    assert "1人が参考になったと回答" in answer
    again = client.get(product.get_absolute_url()).content.decode()
    assert 'disabled aria-pressed="true">参考になった</button>' in again  # the page reads the member's vote
    assert "1人が参考になったと回答" in again
    refused = client.post(f"/reviews/{review.pk}/helpful/", headers={"HX-Request": "true"}).content.decode()
    assert refused.startswith('<p class="helpful error" role="alert">') or "1人が参考になったと回答" in refused
    client.logout()
    signed_out = client.post(f"/reviews/{review.pk}/helpful/", headers={"HX-Request": "true"}).content.decode()
    assert signed_out.startswith('<p class="helpful error" role="alert">')


@pytest.mark.parametrize(
    "moment",
    [
        datetime.datetime(2026, 11, 23, 14, 59, 59, tzinfo=datetime.UTC),  # 23:59:59 in Tokyo
        datetime.datetime(2026, 11, 23, 15, 0, 0, 123456, tzinfo=datetime.UTC),  # the next day there, microseconds
        datetime.datetime(2026, 1, 1, 0, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))),
    ],
)
def test_a_reviews_time_is_what_the_date_filter_gives(moment):
    """The Jinja2 pages' `date` (Django's filter in the current time zone), which the list used before."""
    expected = f'<time datetime="{date_filter(moment, "c")}">{date_filter(moment, "Y/m/d")}</time>'
    assert reviews_tags.review_time(moment) == expected


def test_a_reviews_item_on_the_product_page(client, product, verified_user):
    """Each review of the list (reviews_tags.review_items, made in Python): stars with their text, badges, title,
    name, time, paragraphs, photos and the Helpful form, every text escaped, in the page's language."""
    author = make_user(display_name="ゆみ & <b>")
    buy(author, product.variants.first())
    review = write(author, product, rating=4, title="色 <i>が</i> 良い", body="一段落目\n\n二段落目 <b>太字</b>\n改行")
    assert review.status == Review.Status.PUBLISHED and review.verified_purchase
    services.review_moderate(review_ids=[review.pk], action="feature")
    ReviewPhoto.objects.create(review=review, image="reviews/2026/11/a b.jpg", position=0)
    Review.objects.filter(pk=review.pk).update(
        helpful_count=3, created_at=datetime.datetime(2026, 11, 23, 15, 30, tzinfo=datetime.UTC)
    )

    html = client.get(product.get_absolute_url()).content.decode()
    item = html[html.index(f'<li class="review featured" id="review-{review.pk}">') :]
    item = item[: item.index("</li>\n")]
    assert '<span class="stars" aria-hidden="true">★★★★☆</span><span class="visually-hidden">5つ星中4</span>' in item
    assert '<span class="tag">おすすめ</span><span class="tag verified">購入確認済み</span>' in item
    assert "<h3>色 &lt;i&gt;が&lt;/i&gt; 良い</h3>" in item
    assert 'ゆみ &amp; &lt;b&gt; · <time datetime="2026-11-24T00:30:00+09:00">2026/11/24</time>' in item
    assert '<div class="prose"><p>一段落目</p>\n\n<p>二段落目 &lt;b&gt;太字&lt;/b&gt;<br>改行</p></div>' in item
    photo = "/media/reviews/2026/11/a%20b.jpg"
    assert f'<a href="{photo}"><img src="{photo}" alt="投稿者の写真"' in item
    assert '<form class="helpful"' in item and "3人が参考になったと回答" in item

    client.force_login(verified_user)
    html = client.get(f"{product.get_absolute_url()}?rstars=1").content.decode()
    assert "条件に合うレビューはありません。" in html and f'id="review-{review.pk}"' not in html


def test_a_reviews_content_is_made_once_and_its_helpful_form_on_every_view():
    """review_items remembers what a review shows of itself by its values (reviews_tags._review_content): an edited
    review shows its new text, another language its own texts, and each page's Helpful form carries that page's CSRF
    token and path."""
    review = selectors.PublishedReview(
        pk=7,
        rating=4,
        title="色が良い",
        body="一段落目",
        created_at=datetime.datetime(2026, 11, 23, 15, 30, tzinfo=datetime.UTC),
        is_featured=False,
        verified_purchase=False,
        helpful_count=2,
        reviewer_name="ゆみ",
        photo_names=(),
    )
    first_token, second_token = "a" * 64, "b" * 64
    with translation.override("ja"):
        first = reviews_tags.review_items([review], csrf_token=first_token, next_path="/p/knit/")
        made = reviews_tags._review_content.cache_info().misses
        second = reviews_tags.review_items([review], csrf_token=second_token, next_path="/p/knit/?rpage=2")
        assert reviews_tags._review_content.cache_info().misses == made
        edited = reviews_tags.review_items(
            [dataclasses.replace(review, body="書き直しました", helpful_count=3)], csrf_token=first_token, next_path="/"
        )
        japanese = first
    with translation.override("en"):
        english = reviews_tags.review_items([review], csrf_token=first_token, next_path="/p/knit/")
    assert first_token in first and second_token not in first
    assert second_token in second and first_token not in second and "/p/knit/?rpage=2#review-7" in second
    assert first.replace(first_token, second_token).replace("/p/knit/#", "/p/knit/?rpage=2#") == second
    assert "書き直しました" in edited and "一段落目" not in edited and "3人が参考になったと回答" in edited
    assert "5つ星中4" in japanese and "4 out of 5 stars" in english


def test_a_product_without_reviews_shows_no_filters(client, product):
    html = client.get(product.get_absolute_url()).content.decode()
    assert 'class="review-filters"' not in html
    publish(write(make_user(), product))
    html = client.get(product.get_absolute_url()).content.decode()
    assert 'class="review-filters"' in html


def test_the_first_page_comes_with_the_product_pages_statement_as_its_own_statement_reads_it(
    product, django_assert_num_queries
):
    """The product page's statement reads the first page of reviews (`first_reviews`): the same reviews, votes and
    photos as the list's own statement, for a member and a visitor; another sort, filter or page is read apart."""
    from django.contrib.auth.models import AnonymousUser

    from shop.catalog.selectors import product_get_for_page

    reviewers = [make_user(display_name=f"レビュアー{i}") for i in range(12)]
    reviews = [
        publish(write(user, product, rating=1 + i % 5, title=f"レビュー{i}")) for i, user in enumerate(reviewers)
    ]
    services.review_moderate(review_ids=[reviews[3].pk], action="feature")
    ReviewPhoto.objects.create(review=reviews[5], image="reviews/2026/11/a.jpg", position=0)
    member = reviewers[0]
    services.review_vote_helpful(user=member, review_id=reviews[7].pk)
    product.refresh_from_db()

    for user in (member, AnonymousUser()):
        first_reviews = product_get_for_page(slug=product.slug, viewer_id=user.pk).product.first_reviews
        with django_assert_num_queries(0):
            merged = selectors.review_list_published(
                product_id=product.pk, user=user, published_count=product.review_count, first_page_rows=first_reviews
            )
        assert merged == selectors.review_list_published(
            product_id=product.pk, user=user, published_count=product.review_count
        )
        assert merged.has_next and len(merged.reviews) == selectors.PAGE_SIZE
        assert merged.reviews[0].pk == reviews[3].pk, "featured first"
        assert [r.pk for r in merged.reviews if r.voted] == ([reviews[7].pk] if user is member else [])
        assert [r.photo_names for r in merged.reviews if r.photo_names] == [("reviews/2026/11/a.jpg",)]
        for other in ({"sort": "highest"}, {"stars": 5}, {"with_photos": True}, {"page": 2}):
            with django_assert_num_queries(1):
                page = selectors.review_list_published(
                    product_id=product.pk, user=user, published_count=12, first_page_rows=first_reviews, **other
                )
            assert page != merged


def test_a_product_page_with_reviews_reads_them_with_the_product(client, product, django_assert_num_queries):
    for i in range(3):
        publish(write(make_user(display_name=f"よむひと{i}"), product, title=f"感想{i}"))
    client.get(product.get_absolute_url())  # the category tree and the rules cached
    with django_assert_num_queries(1):
        html = client.get(product.get_absolute_url()).content.decode()
    assert all(f"感想{i}" in html and f"よむひと{i}" in html for i in range(3))
