"""Fill the benchmark database with a realistic catalogue.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_bench DJANGO_SETTINGS_MODULE=shop.settings.production \
        .venv/bin/python bench/load_catalog.py --products 10000

Creates the database if it is missing and migrates it. Then loads N products in 20 categories (4 top-level, 4
children each), each with 3 variants and 1-2 images. The images all point at a handful of pictures drawn once with
Pillow, whose renditions are made once by the shop's own service and copied to every row, so pages render srcsets
without 15,000 rendition files. Product summaries (price, compare-at, in stock, search text) are computed the way
`product_sync_from_variants` computes them and a sample is checked against it.

Beside the catalogue it seeds what the signed-in pages, the cart, the checkout and the webhook runs need
(`seed_people`): members (e-mail verified, the current privacy policy and terms accepted, no two-factor device, so
the shop's middleware lets them through), `AUTHORS` members with feed posts tagging products, share links of
those authors to products (`SHARE_LINKS`, so the share redirect rotates through many codes), published reviews of
one product in three (`seed_reviews`), and the singleton settings rows. One product in 20 is "stocked": active, no
end of sale, 100,000 units of each variant, so cart adds and orders never run out.

Idempotent: a database that already holds exactly N products is left alone (the people are seeded if missing);
any other catalogue is replaced. The data comes from a fixed random seed, so every run loads the same catalogue.
"""

import argparse
import io
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

BASE_DIR = Path(__file__).resolve().parent.parent
BATCH = 2000
SEED = 20250401
SOURCE_IMAGES = 6
STOCKED_EVERY = 20  # one product in 20 has 100,000 units of each variant (cart adds, checkout)
STOCKED_UNITS = 100_000
AUTHORS = 3
POSTS_PER_AUTHOR = 60
SHARE_LINKS = 1000
REVIEWED_EVERY = 3  # one active product in 3 has published reviews (1 to 40, most a few; a page shows 10)
REVIEWERS = 40
REVIEW_PHOTO_SHARE = 0.2
# The signed-in visitor of the page runs, and one member per cart client (a member has one cart).
MEMBER_EMAIL = "member@bench.example"
CART_MEMBER_EMAIL = "cart-{n}@bench.example"
CART_MEMBERS = 4
AUTHOR_EMAIL = "author-{n}@bench.example"
REVIEWER_EMAIL = "reviewer-{n}@bench.example"
MEMBER_PASSWORD = "bench-member-pass-1"  # noqa: S105 - a throwaway database's test account

# (top-level slug, name, [(child slug, name, item words, variant kind)])
CATEGORIES = [
    (
        "women",
        "レディース",
        [
            ("women-tops", "トップス", ["ブラウス", "Tシャツ", "カットソー", "ニット"], "size"),
            ("women-dresses", "ワンピース", ["ワンピース", "シャツワンピース", "ジャンパースカート"], "size"),
            ("women-bottoms", "ボトムス", ["スカート", "ワイドパンツ", "デニム"], "size"),
            ("women-outer", "アウター", ["コート", "カーディガン", "ジャケット"], "size"),
        ],
    ),
    (
        "men",
        "メンズ",
        [
            ("men-shirts", "シャツ", ["シャツ", "オックスフォードシャツ", "ポロシャツ"], "size"),
            ("men-knit", "ニット", ["ニット", "セーター", "カーディガン"], "size"),
            ("men-pants", "パンツ", ["チノパンツ", "スラックス", "デニム"], "size"),
            ("men-jackets", "ジャケット", ["ジャケット", "ブルゾン", "コート"], "size"),
        ],
    ),
    (
        "beauty",
        "コスメ",
        [
            ("beauty-lip", "リップ", ["リップ", "リップティント", "グロス"], "shade"),
            ("beauty-eye", "アイメイク", ["アイシャドウ", "マスカラ", "アイライナー"], "shade"),
            ("beauty-skincare", "スキンケア", ["化粧水", "美容液", "クリーム"], "volume"),
            ("beauty-fragrance", "フレグランス", ["オードトワレ", "ヘアミスト", "ハンドクリーム"], "volume"),
        ],
    ),
    (
        "goods",
        "雑貨",
        [
            ("goods-bags", "バッグ", ["トートバッグ", "ショルダーバッグ", "リュック"], "colour"),
            ("goods-accessories", "アクセサリー", ["ピアス", "ネックレス", "ヘアクリップ"], "colour"),
            ("goods-shoes", "シューズ", ["スニーカー", "ローファー", "サンダル"], "shoe"),
            ("goods-hats", "帽子", ["キャップ", "バケットハット", "ベレー帽"], "colour"),
        ],
    ),
]
# "リネン" is the word run.sh searches for; it appears in about one product name in nine.
ADJECTIVES = [
    "リネン",
    "コットン",
    "ウール混",
    "オーバーサイズ",
    "シアー",
    "ヴィンテージ風",
    "ミニマル",
    "春色",
    "定番",
]
BRANDS = ["TSUNAGU", "Maru", "kinari", "Aoi Studio", "HANA", "Nord Tokyo", "sorairo", "Uniq", "mimi", "KOBO"]
TAGS = ["春夏", "秋冬", "新作", "限定", "ギフト", "SNSで話題", "プチプラ", "日本製", "ユニセックス", "sale"]
COLOURS = [
    ("ブラック", "#222222"),
    ("ホワイト", "#f5f5f0"),
    ("ネイビー", "#1f2a44"),
    ("ベージュ", "#d8c3a5"),
    ("グレー", "#8a8a8a"),
    ("ピンク", "#e8a0b4"),
    ("グリーン", "#5b7f5a"),
]
SHADES = [("01 ローズ", "#c0566e"), ("02 コーラル", "#e8775d"), ("03 ベージュ", "#c9a38a"), ("04 ブラウン", "#7b4b3a")]
VARIANT_SIZES = {
    "size": ["S", "M", "L"],
    "shade": ["", "", ""],
    "volume": ["30mL", "50mL", "100mL"],
    "colour": ["F", "F", "F"],
    "shoe": ["23.5", "24.5", "26.0"],
}


def ensure_database(url: str) -> None:
    """CREATE DATABASE when the one DATABASE_URL names does not exist yet."""
    name = conninfo_to_dict(url)["dbname"]
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def draw_source_images() -> list[tuple[str, int, int]]:
    """A few product photos stand-ins in default storage: [(name, width, height)]."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image, ImageDraw

    palette = ["#d8c3a5", "#1f2a44", "#e8a0b4", "#5b7f5a", "#8a8a8a", "#c0566e"]
    width, height = 900, 1200
    images = []
    for index in range(SOURCE_IMAGES):
        name = f"bench/source-{index}.jpg"
        if not default_storage.exists(name):
            picture = Image.new("RGB", (width, height), "#f6f3f0")
            draw = ImageDraw.Draw(picture)
            draw.rounded_rectangle((150, 200, 750, 1000), radius=80, fill=palette[index % len(palette)])
            draw.ellipse((350, 80, 550, 280), fill="#f6f3f0", outline="#222222", width=12)
            buffer = io.BytesIO()
            picture.save(buffer, format="JPEG", quality=80)
            name = default_storage.save(name, ContentFile(buffer.getvalue()))
        images.append((name, width, height))
    return images


def clear_catalog() -> None:
    """Empty every catalogue table (and whatever references it) in one statement."""
    from django.db import connection

    from shop.catalog.models import Category, Feature, Product, ProductImage, Variant

    models = [Category, Product, Variant, ProductImage, Feature, Feature.products.through]
    models += [Product.history.model, Variant.history.model]
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def create_categories() -> list[tuple[object, list[str], str]]:
    """The category tree; returns the leaves as [(category, item words, variant kind)]."""
    from shop.catalog.models import Category

    leaves = []
    for top_position, (slug, name, children) in enumerate(CATEGORIES):
        parent = Category.objects.create(slug=slug, name=name, position=top_position)
        for position, (child_slug, child_name, items, kind) in enumerate(children):
            child = Category.objects.create(slug=child_slug, name=child_name, parent=parent, position=position)
            leaves.append((child, items, kind))
    return leaves


def build_variants(
    rng: random.Random, *, product_index: int, kind: str, base_price: int, on_sale: bool, stocked: bool = False
):
    """Three unsaved variants (product set later) for one product; about 5% of products are sold out entirely.
    A stocked product's variants have STOCKED_UNITS units each."""
    from shop.catalog.models import Variant

    sold_out = rng.random() < 0.05
    colour_pool = SHADES if kind == "shade" else COLOURS
    colours = rng.sample(colour_pool, 3) if kind in ("shade", "colour") else [rng.choice(COLOURS)] * 3
    variants = []
    for position, size in enumerate(VARIANT_SIZES[kind]):
        price = base_price + (position * 500 if kind in ("volume", "shoe") else 0)
        colour, colour_hex = colours[position]
        stock = 0 if sold_out else rng.choice([0, 2, 4, 8, 12, 20, 35])
        variants.append(
            Variant(
                sku=f"B{product_index:06d}-{position}",
                size=size,
                colour=colour,
                colour_hex=colour_hex,
                price=price,
                compare_at_price=round(price * 1.25, -1) if on_sale else None,
                stock=stock if not stocked else STOCKED_UNITS,
                position=position,
            )
        )
    return variants


def summarise(product, variants) -> None:
    """Same result as services.product_sync_from_variants, without a query per product: the "from" price is the
    lowest among the variants in stock (the lowest of all when everything is sold out)."""
    from shop.catalog.models import normalize_search_text

    active = sorted((v for v in variants if v.is_active), key=lambda v: (v.price, v.position))
    in_stock = [v for v in active if v.stock > 0]
    cheapest = (in_stock or active or [None])[0]
    product.price = cheapest.price if cheapest else 0
    product.compare_at_price = cheapest.compare_at_price if cheapest else None
    product.in_stock = bool(in_stock)
    product.search_text = normalize_search_text(
        " ".join((product.name, product.brand, product.tags, product.description))
    )


def load(n_products: int) -> None:
    from django.db import transaction
    from django.db.models import DateTimeField, ExpressionWrapper, F, IntegerField, Value
    from django.utils import timezone

    from shop.catalog.models import Feature, Product, ProductImage, Variant

    rng = random.Random(SEED)
    now = timezone.now()
    sources = draw_source_images()
    with transaction.atomic():
        leaves = create_categories()
        products, variants_of, image_counts = [], [], []
        for index in range(n_products):
            category, items, kind = leaves[index % len(leaves)]
            adjective, item, brand = rng.choice(ADJECTIVES), rng.choice(items), rng.choice(BRANDS)
            tags = " ".join(rng.sample(TAGS, 3))
            name = f"{adjective} {item} {brand} No.{index + 1:05d}"
            on_sale = rng.random() < 0.2
            stocked = index % STOCKED_EVERY == 1
            product = Product(
                category=category,
                name=name,
                slug=f"{category.slug}-{index + 1:05d}",
                brand=brand,
                tags=tags,
                description=(
                    f"{brand}の{adjective}{item}。毎日使いやすいシンプルなデザインです。\n"
                    f"素材と仕立てにこだわり、長く愛用いただけます。{tags}"
                ),
                is_active=(rng.random() > 0.01) or stocked,
                is_featured=rng.random() < 0.02,
                available_until=now + timedelta(days=30) if rng.random() < 0.01 and not stocked else None,
                popularity=min(int(rng.paretovariate(1.2) * 10), 100_000),
            )
            base_price = rng.randrange(990, 19900, 100)
            variants = build_variants(
                rng, product_index=index, kind=kind, base_price=base_price, on_sale=on_sale, stocked=stocked
            )
            summarise(product, variants)
            products.append(product)
            variants_of.append(variants)
            image_counts.append(rng.choice([1, 2]))

        Product.objects.bulk_create(products, batch_size=BATCH)
        all_variants, images = [], []
        for product, variants, image_count in zip(products, variants_of, image_counts, strict=True):
            for variant in variants:
                variant.product = product
                all_variants.append(variant)
            for position in range(image_count):
                name, width, height = sources[(product.pk + position) % len(sources)]
                images.append(
                    ProductImage(
                        product=product, image=name, width=width, height=height, alt=product.name, position=position
                    )
                )
        Variant.objects.bulk_create(all_variants, batch_size=BATCH)
        ProductImage.objects.bulk_create(images, batch_size=BATCH)

        # A year of arrivals, newest with the highest id, so "newest first" is not a tie on one timestamp.
        step = ExpressionWrapper(Value(n_products) - F("id"), output_field=IntegerField()) * Value(
            timedelta(minutes=50)
        )
        arrived = ExpressionWrapper(Value(now) - step, output_field=DateTimeField())
        Product.objects.update(created_at=arrived, updated_at=now)

        feature = Feature.objects.create(
            title="春の新作特集",
            slug="spring",
            kind=Feature.Kind.SEASONAL,
            lead="軽やかな素材で春支度",
            starts_at=now - timedelta(days=7),
            ends_at=now + timedelta(days=365),
        )
        feature.products.set(products[-48:])
    copy_renditions(sources)


def copy_renditions(sources) -> None:
    """Make the renditions of each source picture once with the shop's service, then share them with every row."""
    from shop.catalog.models import ProductImage
    from shop.catalog.services import product_image_make_renditions

    for name, _width, _height in sources:
        first = ProductImage.objects.filter(image=name).order_by("id").first()
        if first is None:
            continue
        made = product_image_make_renditions(image_id=first.pk)
        ProductImage.objects.filter(image=name).update(renditions=made.renditions)


def check_sample() -> None:
    """The stored summaries must match what the shop's own service computes."""
    from shop.catalog.models import Product
    from shop.catalog.services import product_sync_from_variants

    sample = list(Product.objects.order_by("?").values_list("pk", "price", "compare_at_price", "in_stock")[:50])
    for pk, price, compare_at, in_stock in sample:
        synced = product_sync_from_variants(product_id=pk)
        if (synced.price, synced.compare_at_price, synced.in_stock) != (price, compare_at, in_stock):
            loaded, expected = (price, compare_at, in_stock), (synced.price, synced.compare_at_price, synced.in_stock)
            sys.exit(f"product {pk}: loaded {loaded} but product_sync_from_variants says {expected}")


def member_get_or_create(email: str, display_name: str):
    """A member who can use every page at once: e-mail verified, current policies accepted, no two-factor device."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password

    from shop.accounts.models import User
    from shop.accounts.privacy_services import legal_accept_current

    user, _created = User.objects.get_or_create(
        email=email,
        defaults={"display_name": display_name, "password": make_password(MEMBER_PASSWORD, salt="benchsalt")},
    )
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    legal_accept_current(user=user)
    return user


def seed_posts(authors, rng: random.Random, sources) -> None:
    """POSTS_PER_AUTHOR feed posts per author over the last two weeks, each tagging 1-3 products, half with a photo."""
    from django.db.models import DateTimeField, ExpressionWrapper, F, IntegerField, Value
    from django.utils import timezone

    from shop.catalog.models import Product
    from social.models import Post, PostPhoto, PostProduct

    product_ids = list(Product.objects.filter(is_active=True).order_by("id").values_list("id", flat=True))
    posts = [
        Post(author=author, body=f"お気に入りのコーデ #{n + 1} {rng.choice(ADJECTIVES)}でまとめました。")
        for n in range(POSTS_PER_AUTHOR)
        for author in authors
    ]
    Post.objects.bulk_create(posts, batch_size=BATCH)
    tags, photos = [], []
    for post in posts:
        for position, product_id in enumerate(rng.sample(product_ids, rng.choice([1, 2, 3]))):
            tags.append(PostProduct(post=post, product_id=product_id, position=position))
        if rng.random() < 0.5:
            name, width, height = sources[post.pk % len(sources)]
            photos.append(PostPhoto(post=post, image=name, width=width, height=height))
    PostProduct.objects.bulk_create(tags, batch_size=BATCH)
    PostPhoto.objects.bulk_create(photos, batch_size=BATCH)
    # Newest with the highest id, one post every 20 minutes back from now.
    newest = max(post.pk for post in posts)
    step = ExpressionWrapper(Value(newest) - F("id"), output_field=IntegerField()) * Value(timedelta(minutes=20))
    Post.objects.filter(pk__in=[p.pk for p in posts]).update(
        created_at=ExpressionWrapper(Value(timezone.now()) - step, output_field=DateTimeField())
    )


def seed_share_links(authors, rng: random.Random) -> None:
    """SHARE_LINKS links by the authors to stocked and other active products, with codes "bNNNNNN"."""
    from shop.catalog.models import Product
    from social.shares.models import ShareLink

    product_ids = list(Product.objects.filter(is_active=True).order_by("id").values_list("id", flat=True))
    channels = ShareLink.Channel.values
    links, seen = [], set()
    while len(links) < SHARE_LINKS:
        key = (rng.choice(authors).pk, rng.choice(product_ids), rng.choice(channels))
        if key not in seen:
            seen.add(key)
            links.append(ShareLink(code=f"b{len(links):06d}", sharer_id=key[0], product_id=key[1], channel=key[2]))
    ShareLink.objects.bulk_create(links, batch_size=BATCH)


REVIEW_TITLES = [
    "とても満足",
    "リピート確定",
    "色がきれい",
    "サイズ感ちょうどいい",
    "普段使いに",
    "期待どおり",
    "少し小さめ",
]
REVIEW_LINES = [
    "届いてすぐに使い始めました。{item}の質感が思っていたより上品です。",
    "写真どおりの色味で、毎日のコーデに合わせやすいです。",
    "値段の割にしっかりした作りで、友だちにもすすめました。",
    "サイズは普段どおりで大丈夫でした。洗濯しても型崩れしません。",
    "SNSで見かけて購入。期待以上でした。",
]


def seed_reviews(rng: random.Random, sources) -> None:
    """Published reviews by REVIEWERS members: one active product in REVIEWED_EVERY has 1-40 (most a few, as on a
    real shop), a fifth with a photo, some marked helpful; then the products' stored figures (count, average, per
    rating) are counted by the shop's own service. Bulk inserts: no feed posts or notifications are made for them."""
    from django.db.models import DateTimeField, ExpressionWrapper, F, IntegerField, Value
    from django.utils import timezone

    from shop.catalog.models import Product
    from shop.reviews.models import Review, ReviewPhoto
    from shop.reviews.services import product_ratings_rebuild

    reviewers = [member_get_or_create(REVIEWER_EMAIL.format(n=n), f"レビュアー{n}") for n in range(1, REVIEWERS + 1)]
    products = Product.objects.filter(is_active=True).order_by("id").values_list("id", "name")
    reviews = []
    for product_id, name in products:
        if product_id % REVIEWED_EVERY:
            continue
        count = min(int(rng.paretovariate(1.0)), REVIEWERS)
        for reviewer in rng.sample(reviewers, count):
            rating = rng.choices([5, 4, 3, 2, 1], weights=[45, 30, 13, 7, 5])[0]
            lines = rng.sample(REVIEW_LINES, rng.choice([1, 2, 3]))
            reviews.append(
                Review(
                    product_id=product_id,
                    user=reviewer,
                    rating=rating,
                    title=rng.choice(REVIEW_TITLES),
                    body="\n".join(lines).format(item=name.split()[1]),
                    status=Review.Status.PUBLISHED,
                    verified_purchase=rng.random() < 0.7,
                    helpful_count=int(rng.paretovariate(2.0)) - 1,
                )
            )
    Review.objects.bulk_create(reviews, batch_size=BATCH)
    photos = []
    for review in reviews:
        if rng.random() < REVIEW_PHOTO_SHARE:
            photos.append(ReviewPhoto(review=review, image=sources[review.pk % len(sources)][0]))
    ReviewPhoto.objects.bulk_create(photos, batch_size=BATCH)
    # Spread over the last year, newest with the highest id.
    newest = max(review.pk for review in reviews)
    step = ExpressionWrapper(Value(newest) - F("id"), output_field=IntegerField()) * Value(timedelta(minutes=37))
    Review.objects.filter(pk__in=[r.pk for r in reviews]).update(
        created_at=ExpressionWrapper(Value(timezone.now()) - step, output_field=DateTimeField())
    )
    product_ratings_rebuild()


def seed_people() -> None:
    """Members, authors, posts and share links (each only if missing) and the singleton settings rows."""
    from django.db import transaction

    from loyalty.models import LoyaltySettings
    from loyalty.models.lifecycle import LifecycleSettings
    from payments.models import PaymentSettings
    from shop.notifications.models import NotificationSettings
    from shop.reviews.models import Review
    from social.models import Post
    from social.shares.models import ShareLink

    rng = random.Random(SEED + 1)
    # Made on first use (get_or_create) otherwise; made here so concurrent first requests do not race for them.
    for singleton in (PaymentSettings, NotificationSettings, LoyaltySettings, LifecycleSettings):
        singleton.load()
    with transaction.atomic():
        member_get_or_create(MEMBER_EMAIL, "ベンチ会員")
        for n in range(1, CART_MEMBERS + 1):
            member_get_or_create(CART_MEMBER_EMAIL.format(n=n), f"カート会員 {n}")
        authors = [member_get_or_create(AUTHOR_EMAIL.format(n=n), f"投稿者 {n}") for n in range(1, AUTHORS + 1)]
        if not Post.objects.filter(author__in=authors).exists():
            seed_posts(authors, rng, draw_source_images())
        if not ShareLink.objects.filter(code__startswith="b", sharer__in=authors).exists():
            seed_share_links(authors, rng)
        if not Review.objects.filter(
            user__email__startswith="reviewer-", user__email__endswith="@bench.example"
        ).exists():
            seed_reviews(rng, draw_source_images())


def vacuum_analyze() -> None:
    """The steady state autovacuum keeps a live shop in: statistics, and a visibility map, without which PostgreSQL
    cannot count the listing from the on-sale index alone and reads the whole table instead."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=int(os.environ.get("PRODUCTS", 10_000)))
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.core.management import call_command

    from shop.catalog.models import Product, ProductImage

    call_command("migrate", interactive=False, verbosity=0)
    existing = Product.objects.count()
    if existing == args.products and not ProductImage.objects.filter(renditions={}).exists():
        print(f"catalogue already holds {existing} products; not reloading")
        seed_people()
        vacuum_analyze()
        return
    started = time.monotonic()
    if existing:
        print(f"replacing a catalogue of {existing} products")
    clear_catalog()
    load(args.products)
    check_sample()
    seed_people()
    vacuum_analyze()
    print(f"loaded {args.products} products in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    main()
