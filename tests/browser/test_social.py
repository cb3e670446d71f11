"""The social feed in a real Chromium: post a photo with a tagged product, like, comment, follow (double clicks and
replays must not double anything), share a product with "copy link" and buy from the shared link as a stranger;
and script/HTML typed into posts, comments, reviews and names is shown as text, never run."""

import io
import re

import pytest
from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from shop.accounts.privacy_services import legal_accept_current
from shop.orders.models import CartLine
from shop.reviews import services as review_services
from shop.reviews.models import Review
from social import services as social_services
from social.models import Comment, Follow, Like, Post, PostPhoto, PostProduct
from social.shares.models import ShareClick, ShareLink
from tests.browser.signin import sign_in
from tests.factories import UserFactory, VariantFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
CONTEXT_ARGS = {"locale": "ja-JP", "timezone_id": "Asia/Tokyo", "viewport": {"width": 1280, "height": 900}}


def member(email: str, display_name: str = ""):
    user = UserFactory(email=email, display_name=display_name)
    legal_accept_current(user=user)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def jpeg_bytes(colour=(200, 120, 80)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def new_context(browser: Browser, **extra) -> BrowserContext:
    return browser.new_context(**CONTEXT_ARGS, **extra)


def sign_in_member(page: Page, base: str, user) -> None:
    sign_in(page, base, user.email)
    assert "/privacy" not in page.url and "/legal" not in page.url, page.url


def post_twice_at_once(page: Page, url: str, data: dict) -> list[int]:
    """Replays: the same form POSTed twice concurrently with the page's CSRF token (as a double tap that beats htmx)."""
    return page.evaluate(
        """async ([url, data]) => {
            const token = document.querySelector("input[name=csrfmiddlewaretoken]").value;
            const send = () => fetch(url, {method: "POST", headers: {"X-CSRFToken": token},
                                           body: new URLSearchParams({...data, csrfmiddlewaretoken: token})});
            const responses = await Promise.all([send(), send()]);
            return responses.map(r => r.status);
        }""",
        [url, data],
    )


@pytest.fixture
def product():
    variant = VariantFactory(
        product__name="リネンシャツ", product__slug="linen-shirt", sku="LIN-M", size="M", price=4980, stock=5
    )
    return variant.product


def test_post_like_comment_follow_share_and_buy_from_the_link(browser: Browser, live_server, product, tmp_path):
    base = live_server.url
    alice = member("alice@example.jp", "あいこ")
    bob = member("bob@example.jp", "ぼぶ")
    photo = tmp_path / "outfit.jpg"
    photo.write_bytes(jpeg_bytes())

    # A posts a photo with a tagged product.
    context_a = new_context(browser)
    page_a = context_a.new_page()
    sign_in_member(page_a, base, alice)
    page_a.goto(f"{base}/feed/new/?q=リネン")
    page_a.fill("textarea[name=body]", "今日のコーデ。リネンシャツが涼しい")
    page_a.set_input_files("input[name=photo1]", str(photo))
    page_a.locator(f"input[name=products][value='{product.pk}']").check()
    page_a.locator("form.post-form button[type=submit]").click()
    expect(page_a).to_have_url(re.compile(r"/feed/p/\d+/$"))
    post = Post.objects.get(author=alice)
    assert post.status == Post.Status.PUBLISHED
    assert PostPhoto.objects.filter(post=post).count() == 1
    assert list(PostProduct.objects.filter(post=post).values_list("product_id", flat=True)) == [product.pk]
    card = page_a.locator(f"#post-{post.pk}")
    expect(card.locator(".post-body")).to_contain_text("今日のコーデ")
    expect(card.locator(".post-photos img")).to_have_count(1)
    assert card.locator(".post-photos img").evaluate("img => img.complete && img.naturalWidth > 0")
    expect(card.locator(".post-products a")).to_contain_text("リネンシャツ")
    page_a.screenshot(path="/tmp/social-post.png", full_page=True)

    # B likes it with a quick double click, then a replay: one like.
    context_b = new_context(browser)
    page_b = context_b.new_page()
    sign_in_member(page_b, base, bob)
    page_b.goto(f"{base}/feed/p/{post.pk}/")
    like_button = page_b.locator(f"#like-{post.pk} button")
    expect(like_button.locator(".count")).to_have_text("0")
    like_button.dblclick()
    page_b.wait_for_load_state("networkidle")
    if page_b.locator(f"#like-{post.pk} button").get_attribute("aria-pressed") != "true":
        # The second click of the double click toggled it off again: fine, as long as nothing doubled.
        assert Like.objects.filter(post=post).count() == 0
        page_b.locator(f"#like-{post.pk} button").click()
    expect(page_b.locator(f"#like-{post.pk} button")).to_have_attribute("aria-pressed", "true")
    expect(page_b.locator(f"#like-{post.pk} button .count")).to_have_text("1")
    statuses = post_twice_at_once(page_b, f"/feed/p/{post.pk}/like/", {"on": "1"})
    assert all(status < 500 for status in statuses), statuses
    assert Like.objects.filter(post=post, user=bob).count() == 1
    post.refresh_from_db()
    assert post.like_count == 1
    page_b.reload()
    expect(page_b.locator(f"#like-{post.pk} button .count")).to_have_text("1")

    # B comments; the same form replayed twice adds nothing more.
    page_b.fill("#comment-body", "似合ってる！")
    token = page_b.locator("form.comment-form input[name=token]").input_value()
    page_b.locator("form.comment-form button[type=submit]").click()
    expect(page_b.locator("#comments .comment-list .comment-body")).to_have_text(["似合ってる！"])
    statuses = post_twice_at_once(page_b, f"/feed/p/{post.pk}/comment/", {"body": "似合ってる！", "token": token})
    assert all(status < 500 for status in statuses), statuses
    assert Comment.objects.filter(post=post, user=bob).count() == 1
    post.refresh_from_db()
    assert post.comment_count == 1
    page_b.reload()
    expect(page_b.locator("#comments .comment-list .comment-body")).to_have_count(1)
    expect(page_b.locator(f"#post-{post.pk} .comments-link")).to_contain_text("1")

    # B follows A from A's profile, double click and replay included: one follow.
    page_b.goto(f"{base}/u/{alice.pk}/")
    expect(page_b.locator(".profile-head h1")).to_have_text("あいこ")
    expect(page_b.locator(".profile-head .counts")).to_contain_text("0")
    page_b.locator(".follow-form button").dblclick()
    page_b.wait_for_load_state("networkidle")
    if page_b.locator(".follow-form button").get_attribute("aria-pressed") != "true":
        assert Follow.objects.filter(follower=bob, followee=alice).count() == 0
        page_b.locator(".follow-form button").click()
    expect(page_b.locator(".follow-form button")).to_have_attribute("aria-pressed", "true")
    statuses = post_twice_at_once(page_b, f"/u/{alice.pk}/follow/", {"on": "1"})
    assert all(status < 500 for status in statuses), statuses
    assert Follow.objects.filter(follower=bob, followee=alice).count() == 1
    page_b.reload()
    counts = page_b.locator(".profile-head .counts").inner_text()
    assert re.match(r"\D*1\D+0\D*$", counts), counts  # 1 follower, 0 following
    expect(page_b.locator(".follow-form button")).to_have_attribute("aria-pressed", "true")
    page_b.screenshot(path="/tmp/social-profile.png", full_page=True)

    # A shares the product with "copy link".
    context_a.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page_a.goto(f"{base}{product.get_absolute_url()}")
    copy_button = page_a.locator("[data-share-copy]")
    expect(copy_button).to_be_visible()
    copy_button.click()
    expect(page_a.locator("[data-share-status]")).not_to_be_empty()
    shown_link = page_a.locator("[data-share-input]").input_value()
    copied = page_a.evaluate("navigator.clipboard.readText()")
    assert copied == shown_link, (copied, shown_link)
    assert re.fullmatch(rf"{re.escape(base)}/s/[^/]+/", copied), copied
    code = copied.rstrip("/").split("/")[-1]
    link = ShareLink.objects.get(code=code)
    assert link.sharer_id == alice.pk and link.product_id == product.pk and link.channel == "copy"
    page_a.screenshot(path="/tmp/social-share.png", full_page=True)

    # A stranger opens it, lands on the product and adds it to the cart from there.
    # A real phone's user agent: Chromium's own says "HeadlessChrome", which the shop rightly counts as a bot.
    context_c = new_context(browser, user_agent=PHONE_UA)
    page_c = context_c.new_page()
    page_c.goto(copied)
    expect(page_c).to_have_url(f"{base}{product.get_absolute_url()}")
    expect(page_c.locator("#cart-badge")).to_have_text("0")
    page_c.locator("form.add-to-cart button[type=submit]").click()
    expect(page_c.locator("#cart-badge")).to_have_text("1")
    assert CartLine.objects.filter(variant__product=product).count() == 1
    assert ShareClick.objects.filter(link=link).count() == 1
    page_c.screenshot(path="/tmp/social-stranger-cart.png", full_page=True)

    for context in (context_a, context_b, context_c):
        context.close()


XSS_PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    '"><svg onload=window.__xss=1>',
    "[click me](javascript:window.__xss=1)",
    "</textarea><script>window.__xss=1</script>",
    "<img src=x onerror=alert(1)>",
    "{{7*7}}<b onmouseover=window.__xss=1>bold</b>",
]

INJECTED = """() => {
    const bad = [];
    for (const e of document.querySelectorAll("*")) {
        for (const a of e.attributes) {
            if (a.name.startsWith("on") && /__xss|alert/.test(a.value)) bad.push(e.outerHTML.slice(0, 120));
            if (["href", "src", "action"].includes(a.name) && /^\\s*javascript:/i.test(a.value))
                bad.push(e.outerHTML.slice(0, 120));
        }
        if (e.tagName === "SCRIPT" && e.textContent.includes("__xss")) {
            if (e.type === "application/ld+json") {
                try { JSON.parse(e.textContent); } catch (err) { bad.push("broken JSON-LD: " + err); }
            } else bad.push(e.outerHTML.slice(0, 120));
        }
    }
    return bad;
}"""


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_script_and_html_in_posts_comments_reviews_and_names_show_as_text(browser: Browser, live_server, payload):
    base = live_server.url
    author = member("xss-author@example.jp", payload[:50])
    commenter = member("xss-commenter@example.jp", "コメント係")
    variant = VariantFactory(product__name="テスト商品", product__slug="xss-product", price=1980, stock=5)
    product = variant.product
    post = social_services.post_create(
        author=author,
        body=f"post: {payload}",
        photos=[ContentFile(jpeg_bytes(), name="p.jpg")],
        product_ids=[product.pk],
    )
    assert post.status == Post.Status.PUBLISHED
    social_services.comment_add(user=commenter, post_id=post.pk, body=f"comment: {payload}")
    social_services.comment_add(user=author, post_id=post.pk, body=f"by author: {payload}")
    review = review_services.review_save(
        user=author, product=product, rating=4, title=payload[:100], body=f"review: {payload}"
    )
    review_services.review_moderate(review_ids=[review.pk], action="publish")
    review.refresh_from_db()
    if review.status != Review.Status.PUBLISHED:
        Review.objects.filter(pk=review.pk).update(status=Review.Status.PUBLISHED)
    social_services.follow_set(follower=commenter, followee_id=author.pk, on=True)

    context = new_context(browser)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in_member(page, base, commenter)  # signed in: the product page also shows what people the viewer follows said

    pages = {
        "feed": ("/feed/?tab=new", [f"post: {payload}", payload[:50]]),
        "post": (f"/feed/p/{post.pk}/", [f"post: {payload}", f"comment: {payload}", f"by author: {payload}"]),
        "product": (product.get_absolute_url(), [f"review: {payload}", payload[:100]]),
        "profile": (f"/u/{author.pk}/", [f"post: {payload}", payload[:50]]),
    }
    for name, (path, texts) in pages.items():
        page.goto(base + path)
        page.wait_for_load_state("load")
        # Hover everything once so onmouseover payloads would have had their chance.
        page.evaluate(
            "() => document.querySelectorAll('b, svg, img').forEach(e => e.dispatchEvent(new Event('mouseover')))"
        )
        for text in texts:
            expect(page.locator("body")).to_contain_text(text)
        assert page.evaluate("window.__xss") is None, f"script ran on the {name} page"
        injected = page.evaluate(INJECTED)
        assert not injected, f"{name} page: markup from user text became live HTML: {injected}"
        assert not dialogs, f"{name} page opened a dialog: {dialogs}"
        if payload == XSS_PAYLOADS[0]:
            page.screenshot(path=f"/tmp/social-xss-{name}.png", full_page=True)
    context.close()
