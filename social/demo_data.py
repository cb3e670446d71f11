"""Demo community for `manage.py seed_demo_social`: members, feed posts with photos and product tags, want/own
marks, likes, comments and replies, follows, and published product reviews.

Runs after `seed_demo` (it needs the demo products and the demo shopper and staff logins). Everything comes from a
seed, so every run builds the same community, and a second run only fills in what is missing: members are found
by e-mail address, a member's demo posts by their order (the k-th post of a member is the k-th post spec of that
member), comments by their client token, and likes, follows, marks and reviews by their unique keys. Writes go
through the social and review services so the like and comment counters stay right; only created_at is moved
afterwards, to spread the feed over the last two weeks.
"""

import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from shop.accounts.models import User
from shop.accounts.privacy_services import legal_accept_current
from shop.catalog.demo_data import DEMO_LOGINS, DEMO_SLUG_REGEX
from shop.catalog.models import Product
from shop.reviews.models import Review
from shop.reviews.services import review_moderate, review_save

from . import services
from .exceptions import SocialError
from .models import Comment, Follow, Post

DEFAULT_SEED = 20261225
DEFAULT_MEMBERS = 8
DEFAULT_POSTS = 40
DEFAULT_REVIEWS = 60
MEMBER_PASSWORD = "demo-member-pass"  # noqa: S105 - public on purpose, demo only
MEMBER_PASSWORD_SALT = "tsunagudemomembers"  # noqa: S105 - fixed on purpose: one hash for all members, demo only
MEMBER_EMAIL = "demo-member-{n}@example.jp"
COMMENT_TOKEN_PREFIX = "demo-social-"  # noqa: S105 - not a secret: marks demo comments
FEED_DAYS = 14
REVIEW_DAYS = 45
PHOTO_SIZE = (720, 900)

MEMBER_NAMES = [
    "さくら", "みお", "ゆうと", "あおい", "はると", "りん", "ひなた", "めい", "そうた", "こはる", "いつき", "ゆい",
]  # fmt: skip
SHOPPER_EMAIL = next(login.email for login in DEMO_LOGINS if not login.is_staff)
STAFF_EMAIL = next(login.email for login in DEMO_LOGINS if login.is_staff)

POST_TEXTS = [
    "{name}、届きました！思っていたより{feel}でお気に入りです。",
    "今日のコーデ。{name}を主役にしてみました🌸",
    "{name}をゲット。{scene}に使う予定です。",
    "週末のお出かけに{name}。色味がかわいすぎる…",
    "ずっと気になっていた{name}、やっと買えた！",
    "{name}をリピ買いしました。{feel}で手放せない。",
    "新しい{name}で気分があがる朝☀️",
    "{name}、{scene}にちょうどいい感じ。",
    "最近のヘビロテは{name}。{feel}なところが好き。",
    "{name}の色違いも迷い中…どっちがいいと思いますか？",
]
FREE_TEXTS = [
    "今日はカフェでのんびり☕",
    "週末の戦利品たち。どれもお気に入り！",
    "朝晩すっかり寒くなりましたね。冬支度はじめました。",
    "お気に入りの小物を並べてみました📷",
]
FEELINGS = ["軽やか", "上品", "しっかりした作り", "肌ざわりがよくて快適", "使いやすいサイズ", "発色がきれい"]
SCENES = ["通勤", "休日のお出かけ", "旅行", "デート", "オフィス", "ちょっとしたお出かけ"]
HASHTAGS = [
    "#今日のコーデ",
    "#購入品",
    "#お気に入り",
    "#プチプラ",
    "#冬コーデ",
    "#スキンケア",
    "#メイク好き",
    "#つなぐショップ",
]
SHOP_TEXTS = [
    "【新作入荷】{name}が入荷しました。数量限定です！",
    "スタッフのおすすめ：{name}。{scene}にぴったりです。",
    "週末のおすすめアイテムは{name}。ぜひチェックしてみてください✨",
    "クリスマスギフトに人気の{name}。ラッピングも承ります🎁",
    "再入荷のお知らせ：お待たせしました、{name}が再入荷です。",
]
COMMENTS = [
    "かわいい！",
    "どこのですか？",
    "色違いも気になる〜",
    "真似したいです！",
    "似合ってます✨",
    "サイズ感どうですか？",
    "私も持ってます！",
    "これ欲しかったやつ…",
    "素敵なコーデ！",
    "参考になります🙏",
]
REPLIES = ["ありがとうございます！", "普段Mで、Mにしました！", "ぜひぜひ〜", "うれしいです☺️", "タグ付けしてます！"]

REVIEW_TITLES = {
    5: ["買ってよかったです", "リピート決定！", "期待以上でした", "毎日使っています", "大満足です"],
    4: ["満足しています", "使いやすいです", "色がきれい", "ほぼ満点です", "良い買い物でした"],
    3: ["普通です", "悪くないです", "好みが分かれそう", "値段相応かな"],
    2: ["少し残念", "イメージと違いました"],
    1: ["合いませんでした"],
}
REVIEW_OPENINGS = {
    5: ["届いてすぐ使い始めましたが、とても気に入っています。", "写真どおりの色味で、質感もとても良いです。"],
    4: ["全体的に満足しています。", "思っていたより軽くて使いやすいです。"],
    3: ["可もなく不可もなく、といった印象です。", "悪くはないのですが、期待が大きすぎたかもしれません。"],
    2: ["写真と少し印象が違いました。", "サイズ感が思っていたのと違いました。"],
    1: ["残念ながら自分には合いませんでした。"],
}
REVIEW_DETAILS = [
    "{scene}にも使えて重宝しています。",
    "サイズ感はいつもどおりで大丈夫でした。",
    "梱包も丁寧で、届くのも早かったです。",
    "色違いも欲しくなりました。",
    "友人にも褒められました。",
    "もう少し安ければ星5です。",
    "しばらく使ってみてまたレビューします。",
]
RATING_WEIGHTS = {5: 45, 4: 35, 3: 15, 2: 4, 1: 1}
PALETTE = [
    (246, 225, 226), (223, 235, 228), (232, 225, 243), (250, 236, 214), (222, 233, 244), (240, 232, 220),
    (214, 196, 180), (201, 220, 207), (244, 207, 196), (210, 214, 236),
]  # fmt: skip


@dataclass(frozen=True)
class CommentSpec:
    commenter: int  # member index
    body: str
    token: str
    reply: str  # the post author's answer, "" for none
    reply_token: str
    delay_minutes: int


@dataclass(frozen=True)
class PostSpec:
    index: int
    author: int | None  # member index; None for the shop (staff login)
    body: str
    product_ids: tuple[int, ...]
    photos: int
    age: timedelta
    likers: tuple[int | None, ...]  # member indices; None is the demo shopper
    comments: tuple[CommentSpec, ...]


@dataclass
class SocialSeedResult:
    members_created: int = 0
    posts_created: int = 0
    photos_created: int = 0
    likes_created: int = 0
    comments_created: int = 0
    marks_created: int = 0
    follows_created: int = 0
    reviews_created: int = 0
    members: list[User] = field(default_factory=list)


class DemoDataMissing(Exception):
    """seed_demo has not run yet: no demo products or demo logins."""


# --- Specs -----------------------------------------------------------------------------------------------------
def member_name(n: int) -> str:
    name = MEMBER_NAMES[(n - 1) % len(MEMBER_NAMES)]
    return name if n <= len(MEMBER_NAMES) else f"{name}{n}"


def shop_post_count(posts: int) -> int:
    return max(1, round(posts / 10)) if posts else 0


def _product_text(template: str, rng: random.Random, product: Product | None) -> str:
    return template.format(name=product.name if product else "", feel=rng.choice(FEELINGS), scene=rng.choice(SCENES))


def post_specs(*, members: int, posts: int, products: list[Product], seed: int = DEFAULT_SEED) -> list[PostSpec]:
    """Member posts 0..posts-1, then the shop's posts; the same list for the same arguments and products."""
    specs = []
    shop_posts = shop_post_count(posts)
    for index in range(posts + shop_posts):
        rng = random.Random(f"{seed}:post:{index}")
        is_shop = index >= posts
        author = None if is_shop else (index % members if index < members else rng.randrange(members))
        tagged = rng.sample(products, min(len(products), 2 if rng.random() < 0.2 else 1))
        if is_shop:
            body = _product_text(rng.choice(SHOP_TEXTS), rng, tagged[0])
        elif rng.random() < 0.1:
            body, tagged = rng.choice(FREE_TEXTS), []
        else:
            body = _product_text(rng.choice(POST_TEXTS), rng, tagged[0])
        if not is_shop and rng.random() < 0.6:
            body += "\n" + " ".join(rng.sample(HASHTAGS, rng.randint(1, 2)))
        others = [m for m in range(members) if m != author]
        like_pool: list[int | None] = [*others, None]
        most = len(like_pool) if is_shop else max(1, len(like_pool) * 2 // 3)
        likers = tuple(rng.sample(like_pool, rng.randint(0 if not is_shop else 1, most)))
        comments = []
        for n in range(rng.choice((0, 0, 1, 1, 2, 3)) if others else 0):
            token = f"{COMMENT_TOKEN_PREFIX}{seed % 100000}-{index}-{n}"
            comments.append(
                CommentSpec(
                    commenter=rng.choice(others),
                    body=rng.choice(COMMENTS),
                    token=token,
                    reply=rng.choice(REPLIES) if author is not None and rng.random() < 0.5 else "",
                    reply_token=f"{token}-r",
                    delay_minutes=rng.randint(5, 600),
                )
            )
        specs.append(
            PostSpec(
                index=index,
                author=author,
                body=body,
                product_ids=tuple(p.pk for p in tagged),
                photos=1 if rng.random() < 0.6 else 2,
                age=timedelta(minutes=rng.randint(20, FEED_DAYS * 24 * 60)),
                likers=likers,
                comments=tuple(comments),
            )
        )
    return specs


# --- Pictures --------------------------------------------------------------------------------------------------
def _product_picture(product_id: int | None) -> Image.Image | None:
    product = Product.objects.filter(pk=product_id).prefetch_related("images").first() if product_id else None
    image = product.images.first() if product else None
    if image is None or not image.image:
        return None
    try:
        with image.image.open("rb") as handle:
            picture = Image.open(handle)
            picture.load()
    except (OSError, ValueError):
        return None
    return picture.convert("RGB")


def photo_draw(*, key: str, product_picture: Image.Image | None = None) -> bytes:
    """A soft two-colour background with a few bubbles and, when given, the product's picture as a snapshot."""
    rng = random.Random(key)
    width, height = PHOTO_SIZE
    first, second = rng.sample(PALETTE, 2)
    mask = Image.linear_gradient("L").resize(PHOTO_SIZE)
    if rng.random() < 0.5:
        mask = mask.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    canvas = Image.composite(Image.new("RGB", PHOTO_SIZE, first), Image.new("RGB", PHOTO_SIZE, second), mask)
    draw = ImageDraw.Draw(canvas, "RGBA")
    for _ in range(rng.randint(4, 8)):
        x, y, r = rng.randint(0, width), rng.randint(0, height), rng.randint(30, 160)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(*rng.choice(PALETTE), rng.randint(90, 180)))
    if product_picture is not None:
        side = rng.randint(460, 560)
        snapshot = product_picture.resize((side, side), Image.Resampling.BILINEAR)
        frame = Image.new("RGB", (side + 36, side + 100), (252, 250, 246))
        frame.paste(snapshot, (18, 18))
        frame = frame.rotate(rng.uniform(-7, 7), expand=True, fillcolor=first, resample=Image.Resampling.BICUBIC)
        canvas.paste(frame, ((width - frame.width) // 2, (height - frame.height) // 2))
    else:
        for _ in range(rng.randint(2, 4)):
            w, h = rng.randint(120, 320), rng.randint(120, 320)
            x, y = rng.randint(40, width - w - 40), rng.randint(40, height - h - 40)
            draw.rounded_rectangle((x, y, x + w, y + h), radius=24, fill=(*rng.choice(PALETTE), 230))
    buffer = io.BytesIO()
    canvas.save(buffer, format="JPEG", quality=82)
    return buffer.getvalue()


# --- Writes ----------------------------------------------------------------------------------------------------
def demo_members_ensure(*, count: int) -> tuple[list[User], int]:
    """Members 1..count with a verified address, the current policies accepted and the demo password."""
    members, created_count = [], 0
    # One hash for all members, from a fixed salt: comparing strings instead of checking the password on every
    # member keeps a second run fast (a password hash takes most of a second by design).
    password = make_password(MEMBER_PASSWORD, salt=MEMBER_PASSWORD_SALT)
    for n in range(1, count + 1):
        email = MEMBER_EMAIL.format(n=n)
        with transaction.atomic():
            user, created = User.objects.get_or_create(email=email, defaults={"display_name": member_name(n)})
            created_count += created
            if not user.is_active:
                user.is_active = True
                user.save(update_fields=["is_active"])
            if user.password != password:
                user.password = password
                user.save(update_fields=["password"])
            address, _ = EmailAddress.objects.get_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            if not (address.verified and address.primary):
                EmailAddress.objects.filter(pk=address.pk).update(verified=True, primary=True)
            legal_accept_current(user=user)
        members.append(user)
    return members, created_count


def _existing_posts(author: User, *, shop: bool) -> list[Post]:
    qs = Post.objects.filter(author=author, kind=Post.Kind.POST)
    qs = qs.filter(is_staff_post=True) if shop else qs.filter(is_staff_post=False)
    return list(qs.order_by("id"))


def _post_ensure(spec: PostSpec, *, author: User, existing: list[Post], now, result: SocialSeedResult) -> Post:
    """The member's k-th demo post for their k-th spec: an existing one is left as it is."""
    if existing:
        return existing.pop(0)
    picture = _product_picture(spec.product_ids[0] if spec.product_ids else None)
    photos = [
        ContentFile(
            photo_draw(key=f"{spec.index}:{n}", product_picture=picture if n == 0 else None),
            name=f"demo-post-{spec.index:03d}-{n + 1}.jpg",
        )
        for n in range(spec.photos)
    ]
    with transaction.atomic():
        post = services.post_create(
            author=author,
            body=spec.body,
            photos=photos,
            product_ids=list(spec.product_ids),
            is_staff_post=spec.author is None,
        )
        post.created_at = now - spec.age
        Post.objects.filter(pk=post.pk).update(created_at=post.created_at)
    result.posts_created += 1
    result.photos_created += len(photos)
    return post


def _comment_ensure(*, user: User, post: Post, body: str, token: str, parent_id, when, known: set) -> Comment | None:
    """comment_add finds a comment by its client token, so a second run returns the first one."""
    existing = (user.pk, token) in known
    try:
        comment = services.comment_add(user=user, post_id=post.pk, body=body, parent_id=parent_id, client_token=token)
    except SocialError:
        return None
    if not existing:
        Comment.objects.filter(pk=comment.pk).update(created_at=min(when, timezone.now()))
    return comment


def demo_interactions_ensure(
    *, spec: PostSpec, post: Post, members: list[User], shopper: User, known_tokens: set, result: SocialSeedResult
) -> None:
    author = post.author
    for liker in spec.likers:
        user = shopper if liker is None else members[liker]
        before = post.like_count
        try:
            post = services.like_set(user=user, post_id=post.pk, on=True)
        except SocialError:
            return  # staff hid the post since the last run
        result.likes_created += post.like_count > before
    for c in spec.comments:
        when = post.created_at + timedelta(minutes=c.delay_minutes)
        new = (members[c.commenter].pk, c.token) not in known_tokens
        comment = _comment_ensure(
            user=members[c.commenter],
            post=post,
            body=c.body,
            token=c.token,
            parent_id=None,
            when=when,
            known=known_tokens,
        )
        if comment is None:
            continue
        result.comments_created += new
        if c.reply:
            new = (author.pk, c.reply_token) not in known_tokens
            reply = _comment_ensure(
                user=author,
                post=post,
                body=c.reply,
                token=c.reply_token,
                parent_id=comment.pk,
                when=when + timedelta(minutes=30),
                known=known_tokens,
            )
            result.comments_created += new and reply is not None


def demo_marks_ensure(*, members: list[User], products: list[Product], seed: int, now, result) -> None:
    """Each member wants a few products and owns one or two (one feed entry per member, product and kind)."""
    for n, member in enumerate(members):
        rng = random.Random(f"{seed}:marks:{n}")
        picked = rng.sample(products, min(len(products), rng.randint(2, 5)))
        owns = rng.randint(1, 2)
        for position, product in enumerate(picked):
            kind = Post.Kind.OWN if position < owns else Post.Kind.WANT
            age = timedelta(minutes=rng.randint(30, FEED_DAYS * 24 * 60))
            if Post.objects.filter(author=member, kind=kind, product=product).exists():
                continue
            try:
                services.product_mark_set(user=member, product_id=product.pk, kind=kind, on=True)
            except SocialError:
                continue
            Post.objects.filter(author=member, kind=kind, product=product).update(created_at=now - age)
            result.marks_created += 1


def demo_follows_ensure(*, members: list[User], shopper: User, seed: int, result) -> None:
    """Members follow the shop and a few other members; the demo shopper follows the shop and three members."""
    before = Follow.objects.count()
    for n, member in enumerate(members):
        rng = random.Random(f"{seed}:follows:{n}")
        others = [m for m in members if m.pk != member.pk]
        services.follow_set(follower=member, followee_id=None, on=True)
        for other in rng.sample(others, min(len(others), rng.randint(2, 4))):
            services.follow_set(follower=member, followee_id=other.pk, on=True)
    rng = random.Random(f"{seed}:follows:shopper")
    services.follow_set(follower=shopper, followee_id=None, on=True)
    for member in rng.sample(members, min(3, len(members))):
        services.follow_set(follower=shopper, followee_id=member.pk, on=True)
    result.follows_created = Follow.objects.count() - before


def demo_reviews_ensure(*, members: list[User], products: list[Product], count: int, seed: int, now, result) -> None:
    """count published reviews by the members (one per member and product), a few of them featured."""
    rng = random.Random(f"{seed}:reviews")
    pairs = [(m, p) for m in members for p in products]
    rng.shuffle(pairs)
    existing = set(Review.objects.filter(user__in=members, product__in=products).values_list("user_id", "product_id"))
    created, featured = [], []
    for number, (member, product) in enumerate(pairs[:count]):
        r = random.Random(f"{seed}:review:{member.pk}:{product.pk}")
        rating = r.choices(list(RATING_WEIGHTS), weights=list(RATING_WEIGHTS.values()))[0]
        title = r.choice(REVIEW_TITLES[rating])
        details = r.sample(REVIEW_DETAILS, r.randint(1, 2))
        body = r.choice(REVIEW_OPENINGS[rating]) + "".join(d.format(scene=r.choice(SCENES)) for d in details)
        age = timedelta(minutes=r.randint(60, REVIEW_DAYS * 24 * 60))
        if (member.pk, product.pk) in existing:
            continue
        review = review_save(user=member, product=product, rating=rating, title=title, body=body)
        Review.objects.filter(pk=review.pk).update(created_at=now - age, updated_at=now - age)
        created.append(review.pk)
        if rating == 5 and number % 6 == 0:
            featured.append(review.pk)
    # Not verified buyers, so review_save leaves them pending: publish them as staff would.
    review_moderate(review_ids=created, action="publish")
    if featured:
        review_moderate(review_ids=featured, action="feature")
    result.reviews_created = len(created)


def demo_social_seed(
    *,
    members: int = DEFAULT_MEMBERS,
    posts: int = DEFAULT_POSTS,
    reviews: int = DEFAULT_REVIEWS,
    seed: int = DEFAULT_SEED,
    progress: Callable[[int, int], None] | None = None,
) -> SocialSeedResult:
    products = list(Product.objects.filter(slug__regex=DEMO_SLUG_REGEX, is_active=True).order_by("slug"))
    shopper = User.objects.filter(email=SHOPPER_EMAIL).first()
    staff = User.objects.filter(email=STAFF_EMAIL, is_staff=True).first()
    if not products or shopper is None or staff is None:
        raise DemoDataMissing("Run `manage.py seed_demo` first: the demo products and logins are missing.")
    now = timezone.now()
    result = SocialSeedResult()
    result.members, result.members_created = demo_members_ensure(count=members)
    member_rows = result.members
    specs = post_specs(members=members, posts=posts, products=products, seed=seed)
    existing = {n: _existing_posts(m, shop=False) for n, m in enumerate(member_rows)}
    existing[None] = _existing_posts(staff, shop=True)
    known_tokens = set(
        Comment.objects.filter(client_token__startswith=COMMENT_TOKEN_PREFIX).values_list("user_id", "client_token")
    )
    for done, spec in enumerate(specs, start=1):
        author = staff if spec.author is None else member_rows[spec.author]
        post = _post_ensure(spec, author=author, existing=existing[spec.author], now=now, result=result)
        if post.status == Post.Status.PUBLISHED:
            demo_interactions_ensure(
                spec=spec, post=post, members=member_rows, shopper=shopper, known_tokens=known_tokens, result=result
            )
        if progress:
            progress(done, len(specs))
    demo_marks_ensure(members=member_rows, products=products, seed=seed, now=now, result=result)
    demo_follows_ensure(members=member_rows, shopper=shopper, seed=seed, result=result)
    demo_reviews_ensure(members=member_rows, products=products, count=reviews, seed=seed, now=now, result=result)
    return result
