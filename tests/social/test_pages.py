import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from social import services
from social.models import Post, PostPhoto

from .conftest import make_member

pytestmark = pytest.mark.django_db

XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "<svg onload=alert(1)>"]


def _posts(n, *, author, fan, product):
    for i in range(n):
        post = services.post_create(author=author, body=f"投稿{i}", product_ids=[product.pk])
        PostPhoto.objects.create(post=post, image=ContentFile(b"x", name=f"p{i}.jpg"))
        services.like_set(user=fan, post_id=post.pk, on=True)
        services.comment_add(user=fan, post_id=post.pk, body="いいね")


@pytest.mark.parametrize("tab", ["new", "popular", "following"])
def test_feed_queries_do_not_grow(client, member, other, product, tab):
    services.follow_set(follower=member, followee_id=other.pk, on=True)
    client.force_login(member)
    # The shared per-request queries (session, user, OTP, legal, cart badge, menu, consent) are not the feed's.
    with CaptureQueriesContext(connection) as baseline:
        client.get("/feed/?tab=new")
    _posts(3, author=other, fan=member, product=product)
    with CaptureQueriesContext(connection) as small:
        assert client.get(f"/feed/?tab={tab}").status_code == 200
    _posts(30, author=other, fan=member, product=product)
    with CaptureQueriesContext(connection) as big:
        response = client.get(f"/feed/?tab={tab}")
    assert response.status_code == 200
    assert len(big.captured_queries) == len(small.captured_queries)
    assert len(big.captured_queries) - len(baseline.captured_queries) <= 10
    assert 'hx-trigger="revealed"' in response.content.decode()


def test_feed_next_page_is_a_fragment(client, member, other, product):
    _posts(12, author=other, fan=member, product=product)
    response = client.get("/feed/?tab=new&page=2", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and "投稿0" in body


def test_post_page_queries_fixed_and_og_tags(client, member, other, product):
    client.force_login(member)
    post = services.post_create(author=other, body="OGテスト", product_ids=[product.pk])
    PostPhoto.objects.create(post=post, image=ContentFile(b"x", name="og.jpg"))
    services.comment_add(user=member, post_id=post.pk, body="a")
    with CaptureQueriesContext(connection) as small:
        client.get(post.get_absolute_url())
    fans = [make_member(display_name=f"f{i}") for i in range(5)]
    for fan in fans:
        services.like_set(user=fan, post_id=post.pk, on=True)
        parent = services.comment_add(user=fan, post_id=post.pk, body="b")
        services.comment_add(user=member, post_id=post.pk, body="c", parent_id=parent.pk)
    client.get("/feed/")  # new members refill the shared legal-page cache; warm it as before the first count
    with CaptureQueriesContext(connection) as big:
        response = client.get(post.get_absolute_url())
    assert len(big.captured_queries) == len(small.captured_queries)
    body = response.content.decode()
    assert 'property="og:image"' in body and 'name="twitter:card"' in body and "OGテスト" in body


@pytest.mark.parametrize("payload", XSS)
def test_xss_is_escaped(client, db, product, payload):
    author = make_member(display_name=payload)
    post = services.post_create(author=author, body=payload, product_ids=[product.pk])
    services.comment_add(user=author, post_id=post.pk, body=payload)
    for url in ("/feed/", post.get_absolute_url(), f"/u/{author.pk}/"):
        body = client.get(url).content.decode()
        assert payload not in body
        assert author.email not in body


def test_like_follow_comment_views(client, member, other):
    client.force_login(member)
    post = services.post_create(author=other, body="hello")
    for _ in range(2):
        response = client.post(f"/feed/p/{post.pk}/like/", {"on": "1"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
    post.refresh_from_db()
    assert post.like_count == 1
    client.post(f"/feed/p/{post.pk}/like/", {"next": "/feed/"})
    post.refresh_from_db()
    assert post.like_count == 0
    for _ in range(2):
        client.post(f"/u/{other.pk}/follow/", {"on": "1"})
    assert other.followers.count() == 1
    for _ in range(2):
        client.post(f"/feed/p/{post.pk}/comment/", {"body": "素敵", "token": "abc"})
    post.refresh_from_db()
    assert post.comment_count == 1


def test_want_own_buttons_on_product_page(client, member, other, product):
    client.force_login(member)
    services.follow_set(follower=member, followee_id=other.pk, on=True)
    services.product_mark_set(user=other, product_id=product.pk, kind="own", on=True)
    body = client.get(product.get_absolute_url()).content.decode()
    assert "たろう" in body and "がもっています" in body and 'name="kind" value="want"' in body
    assert 'name="csrfmiddlewaretoken"' in body[body.index('class="mark-buttons"') :]
    for _ in range(2):
        swap = client.post("/feed/mark/", {"product": product.pk, "kind": "want", "on": "1"}, HTTP_HX_REQUEST="true")
    assert Post.objects.filter(author=member, kind="want").count() == 1
    buttons = swap.content.decode()  # the buttons htmx swaps in: "want" pressed, a form token in each form
    assert buttons.startswith(f'<div class="mark-buttons" id="mark-{product.pk}">')
    assert '<button type="submit" class="mark on" aria-pressed="true">★ きになる</button>' in buttons
    assert buttons.count('name="csrfmiddlewaretoken" value="') == 2
    client.post("/feed/mark/", {"product": product.pk, "kind": "want"})
    assert not Post.objects.filter(author=member, kind="want").exists()


def test_a_visitor_is_asked_to_sign_in_to_mark_a_product(client, product):
    body = client.get(product.get_absolute_url() + "?rsort=helpful").content.decode()
    sign_in = f'<a href="/accounts/login/?next=/p/{product.slug}/%3Frsort%3Dhelpful">'
    assert sign_in in body and "ログインすると「きになる」「もってる」を登録できます。" in body
    assert 'class="mark-buttons"' not in body


def test_new_post_form_with_tag(client, member, product):
    client.force_login(member)
    assert client.get(f"/feed/new/?q={product.name}").status_code == 200
    response = client.post(f"/feed/new/?q={product.name}", {"body": "新しい投稿", "products": [product.pk]})
    assert response.status_code == 302
    post = Post.objects.get(body="新しい投稿")
    assert list(post.tags.values_list("product_id", flat=True)) == [product.pk]
