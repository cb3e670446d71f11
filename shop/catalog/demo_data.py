"""Demo catalogue for `manage.py seed_demo`: categories, products with variants and drawn pictures, features, logins.

Everything is derived from a seed and the product's number, so every run (and every machine) builds the same shop,
and a second run only fills in what is missing: products are found by their number (slug "demo-0001-…"), categories
and features by slug, logins by e-mail address.
"""

import functools
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFilter

from shop.accounts import otp
from shop.accounts.models import User
from shop.accounts.privacy_services import legal_accept_current

from .models import Category, Feature, Product, ProductImage, Variant
from .selectors import on_sale_counts_forget
from .services import product_sync_from_variants

DEFAULT_SEED = 20261224
DEFAULT_PRODUCTS = 240
SLUG_PREFIX = "demo-"
DEMO_SLUG_REGEX = r"^demo-[0-9]{4}-"  # so a staff product called "demo-day-sale" is never taken for demo data
SKU_PREFIX = "DEMO-"
IMAGE_SIZE = 800
ANGLES = ("front", "back", "detail", "colours")
ANGLE_ALT = {"front": "正面", "back": "背面", "detail": "ディテール", "colours": "カラー展開"}


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: str
    is_staff: bool


DEMO_LOGINS = (
    DemoLogin("shopper@example.jp", "demo-shopper-pass", "shopper", False),
    DemoLogin("staff@example.jp", "demo-staff-pass", "staff (superuser, /admin/)", True),
)
# The demo staff login's authenticator key, fixed so developers add it to their app once (base32, as apps show it).
# The admin needs a code from it or one of the backup codes seed_demo prints. Never use it outside the demo.
DEMO_STAFF_TOTP_SECRET = "TSUNAGUSHOPDEMOSTAFFTOTPKEY23456"  # noqa: S105 - public on purpose, demo only
DEMO_BACKUP_CODES_MINIMUM = 5

# Each top-level category: (slug, name, kind) and its children: (slug, name, picture, prices, nouns).
# A noun is (Japanese, slug part); the picture names a drawing in SHAPES.
CATALOGUE = [
    ("tops", "トップス", "apparel", [
        ("knitwear", "ニット", "top", (2990, 3990, 4990, 5990, 7990), [("モヘアタッチニット", "mohair-knit"), ("ケーブルニット", "cable-knit"), ("Vネックニット", "v-neck-knit"), ("リブニットプルオーバー", "rib-knit")]),
        ("shirts-blouses", "シャツ・ブラウス", "top", (2990, 3990, 4990, 6990), [("バンドカラーシャツ", "band-collar-shirt"), ("フリルブラウス", "frill-blouse"), ("オーバーサイズシャツ", "oversized-shirt")]),
        ("t-shirts", "Tシャツ・カットソー", "top", (1490, 1980, 2490, 2990, 3990), [("ロゴTシャツ", "logo-tee"), ("ボーダーカットソー", "border-tee"), ("ロングスリーブT", "long-sleeve-tee")]),
        ("hoodies", "パーカー・スウェット", "hoodie", (3990, 4990, 5990, 6990), [("スウェットパーカー", "sweat-hoodie"), ("ハーフジップスウェット", "half-zip-sweat")]),
    ]),
    ("bottoms", "ボトムス", "apparel", [
        ("pants", "パンツ", "pants", (3990, 4990, 5990, 6990), [("ワイドパンツ", "wide-pants"), ("タックテーパードパンツ", "tapered-pants"), ("センタープレスパンツ", "center-press-pants")]),
        ("skirts", "スカート", "skirt", (2990, 3990, 4990, 5990), [("プリーツスカート", "pleated-skirt"), ("マーメイドスカート", "mermaid-skirt"), ("ナロースカート", "narrow-skirt")]),
        ("denim", "デニム", "pants", (4990, 5990, 6990, 8990), [("ストレートデニム", "straight-denim"), ("バレルデニム", "barrel-denim")]),
    ]),
    ("dresses", "ワンピース", "apparel", [
        ("long-dresses", "ロングワンピース", "dress", (4990, 5990, 6990, 8990), [("ティアードワンピース", "tiered-dress"), ("キャミワンピース", "cami-dress")]),
        ("shirt-dresses", "シャツワンピース", "dress", (4990, 5990, 7990), [("シャツワンピース", "shirt-dress"), ("ロングシャツワンピース", "long-shirt-dress")]),
        ("knit-dresses", "ニットワンピース", "dress", (5990, 6990, 8990), [("ニットワンピース", "knit-dress"), ("リブニットワンピース", "rib-knit-dress")]),
    ]),
    ("outerwear", "アウター", "apparel", [
        ("coats", "コート", "coat", (9900, 12800, 15800, 19800, 24800), [("チェスターコート", "chester-coat"), ("ダッフルコート", "duffle-coat"), ("ショートダウン", "short-down")]),
        ("jackets", "ジャケット", "coat", (7990, 9900, 12800, 14800), [("ノーカラージャケット", "collarless-jacket"), ("ツイードジャケット", "tweed-jacket")]),
        ("cardigans", "カーディガン", "coat", (3990, 4990, 5990, 6990), [("ショートカーディガン", "short-cardigan"), ("ロングカーディガン", "long-cardigan")]),
    ]),
    ("bags", "バッグ", "bag", [
        ("shoulder-bags", "ショルダーバッグ", "bag", (3990, 4990, 6990, 8990), [("ショルダーバッグ", "shoulder-bag"), ("サコッシュ", "sacoche")]),
        ("tote-bags", "トートバッグ", "tote", (2990, 3990, 4990, 5990), [("トートバッグ", "tote-bag"), ("A4トート", "a4-tote")]),
        ("mini-bags", "ミニバッグ", "bag", (2490, 2990, 3990, 4990), [("ミニハンドバッグ", "mini-handbag"), ("巾着バッグ", "drawstring-bag")]),
    ]),
    ("shoes", "シューズ", "shoes", [
        ("sneakers", "スニーカー", "shoe", (4990, 5990, 6990, 8990), [("スニーカー", "sneakers"), ("スリッポン", "slip-on")]),
        ("pumps", "パンプス", "pump", (3990, 4990, 5990, 6990), [("ポインテッドパンプス", "pointed-pumps"), ("バレエパンプス", "ballet-pumps")]),
        ("boots", "ブーツ", "boot", (6990, 7990, 9900, 12800), [("ショートブーツ", "short-boots"), ("サイドゴアブーツ", "side-gore-boots")]),
        ("sandals", "サンダル", "shoe", (2990, 3990, 4990), [("スポーツサンダル", "sport-sandals"), ("フラットサンダル", "flat-sandals")]),
    ]),
    ("accessories", "アクセサリー", "accessory", [
        ("earrings", "ピアス・イヤリング", "earring", (990, 1490, 1980, 2990), [("フープピアス", "hoop-earrings"), ("イヤーカフ", "ear-cuff"), ("パールイヤリング", "pearl-earrings")]),
        ("necklaces", "ネックレス", "necklace", (1980, 2990, 3990, 4990), [("チェーンネックレス", "chain-necklace"), ("一粒ネックレス", "solitaire-necklace")]),
        ("hair-accessories", "ヘアアクセサリー", "clip", (990, 1490, 1980), [("バレッタ", "barrette"), ("ヘアクリップ", "hair-clip"), ("シュシュ", "scrunchie")]),
    ]),
    ("skincare", "スキンケア", "skincare", [
        ("toners", "化粧水", "bottle", (1650, 1980, 2980, 3850), [("化粧水", "lotion"), ("ミスト化粧水", "mist-lotion")]),
        ("serums", "美容液", "bottle", (2980, 3850, 4980, 6600), [("美容液", "serum"), ("導入美容液", "booster-serum")]),
        ("creams", "クリーム", "jar", (2200, 3300, 4400, 5500), [("フェイスクリーム", "face-cream"), ("ナイトクリーム", "night-cream")]),
        ("cleansing", "クレンジング", "bottle", (1650, 1980, 2750), [("クレンジングバーム", "cleansing-balm"), ("クレンジングオイル", "cleansing-oil")]),
    ]),
    ("makeup", "メイクアップ", "makeup", [
        ("lips", "リップ", "lipstick", (1320, 1650, 2200, 3300), [("リップティント", "lip-tint"), ("リップスティック", "lipstick"), ("リップグロス", "lip-gloss")]),
        ("eyeshadow", "アイシャドウ", "palette", (1650, 2420, 3850, 5500), [("アイシャドウパレット", "eyeshadow-palette"), ("単色アイシャドウ", "single-eyeshadow")]),
        ("foundation", "ファンデーション", "compact", (2420, 3300, 4400), [("クッションファンデーション", "cushion-foundation"), ("リキッドファンデーション", "liquid-foundation")]),
    ]),
    ("fragrance", "フレグランス", "fragrance", [
        ("eau-de-parfum", "オードパルファム", "perfume", (4400, 6600, 8800, 12100), [("オードパルファム", "eau-de-parfum")]),
        ("body-mist", "ボディミスト", "bottle", (1540, 1980, 2750), [("ボディミスト", "body-mist"), ("ヘアミスト", "hair-mist")]),
        ("hand-cream", "ハンドクリーム", "tube", (990, 1320, 1980), [("ハンドクリーム", "hand-cream")]),
    ]),
]  # fmt: skip

ADJECTIVES = {
    "apparel": [("ふんわり", "fuwari"), ("とろみ", "toromi"), ("ゆったり", "yuttari"), ("シアー", "sheer"), ("リラックス", "relax"), ("きれいめ", "kireime"), ("洗える", "washable"), ("2WAY", "2way"), ("ヴィンテージ風", "vintage"), ("大人の", "otona"), ("ラメ入り", "lame"), ("軽やか", "karoyaka")],
    "bag": [("軽量", "light"), ("大容量", "large"), ("2WAY", "2way"), ("きれいめ", "kireime"), ("ミニマル", "minimal"), ("キルティング", "quilted"), ("撥水", "water-repellent")],
    "shoes": [("厚底", "platform"), ("軽量", "light"), ("防水", "waterproof"), ("ふかふか", "fukafuka"), ("歩きやすい", "easy-walk"), ("きれいめ", "kireime")],
    "accessory": [("華奢", "kyasha"), ("ゆらゆら", "yurayura"), ("きらめく", "kirameku"), ("ビジュー", "bijou"), ("ニュアンス", "nuance"), ("大ぶり", "oburi")],
    "skincare": [("うるおい", "uruoi"), ("高保湿", "hydrating"), ("薬用", "medicated"), ("敏感肌用", "sensitive"), ("透明感", "clear"), ("ゆらぎ肌", "yuragi")],
    "makeup": [("ツヤ感", "glow"), ("マット", "matte"), ("落ちにくい", "long-wear"), ("シアー", "sheer"), ("うるツヤ", "uru-glow"), ("ふんわり", "fuwari")],
    "fragrance": [("やさしい", "yasashii"), ("ふんわり", "fuwari"), ("透明感", "clear"), ("大人の", "otona"), ("ナチュラル", "natural")],
}  # fmt: skip

BRANDS = {
    "fashion": ["Lumi", "Kasane", "Mellow Day", "Nuance Tokyo", "Tsumugi", "Komorebi"],
    "beauty": ["Hanaé", "Shiro Lab", "Amiyu", "Fleur de Kyoto", "Uraraka", "Soranoto"],
}

# (name, hex, SKU code)
COLOURS = [
    ("ネイビー", "#1f2a44", "NV"), ("ブラック", "#222222", "BK"), ("オフホワイト", "#f3efe6", "OW"),
    ("ベージュ", "#d8c3a5", "BE"), ("グレージュ", "#b9ada0", "GG"), ("ブラウン", "#7a5236", "BR"),
    ("カーキ", "#7d7a4f", "KH"), ("ピンク", "#e8a5b4", "PK"), ("ラベンダー", "#b8a6d9", "LV"),
    ("ミント", "#a8d8c4", "MT"), ("サックス", "#9cc3e0", "SX"), ("テラコッタ", "#c0603f", "TC"),
    ("ボルドー", "#6d1f2f", "BD"), ("マスタード", "#d1a23a", "MS"), ("ライトグレー", "#c9c9c9", "LG"),
]  # fmt: skip
METALS = [("ゴールド", "#c9a74a", "GD"), ("シルバー", "#b8bcc2", "SV"), ("ピンクゴールド", "#d9a28f", "PG")]
SHADES = [
    ("01 ローズベージュ", "#c98b86", "01"), ("02 コーラルピンク", "#e27d6f", "02"), ("03 テラコッタ", "#b5573e", "03"),
    ("04 モーヴ", "#9c6b7e", "04"), ("05 ボルドー", "#7b2335", "05"), ("06 ヌードベージュ", "#d9a993", "06"),
]  # fmt: skip
BEAUTY_TINTS = ["#f4e1d2", "#dfe9e4", "#e9dff0", "#f6d9d9", "#e5ecf4", "#f2ead0", "#d9c7b8"]
SKIN_SHADES = [
    ("ライトオークル", "#e8c7a8", "LO"),
    ("ナチュラルオークル", "#dcb592", "NO"),
    ("ピンクオークル", "#e6bfae", "PO"),
]

SENTENCES = {
    "apparel": (
        ["{brand}が提案する、毎日着たくなる{noun}。", "肌ざわりのよい{material}素材で仕立てた{noun}です。", "今季らしいシルエットに仕上げた{noun}。"],
        ["{scene}にも合わせやすく、着回し力抜群です。", "程よいゆとりのあるシルエットで、体型をきれいにカバーします。", "落ち感のある生地が大人の雰囲気を演出します。", "軽やかな着心地で、一日中快適に過ごせます。"],
        ["ご自宅の洗濯機で洗えます。", "モデル身長163cm、Mサイズ着用。", "裏地付きで透けにくい仕様です。"],
    ),
    "bag": (
        ["{leather}を使った{noun}。", "{brand}の人気シリーズから、{noun}が登場。"],
        ["長財布やスマートフォンもすっきり収まるサイズ感です。", "内ポケット付きで小物の整理も簡単。", "{scene}にも頼れる、きちんと感のあるデザイン。"],
        ["ショルダーストラップは長さを調節できます。", "底鋲付きで置いたときも安心です。"],
    ),
    "shoes": (
        ["{brand}の定番{noun}。", "歩きやすさにこだわった{noun}です。"],
        ["クッション性の高いインソールで、長時間でも疲れにくい履き心地。", "すっきりとしたフォルムで、{scene}のコーディネートにもなじみます。"],
        ["普段のサイズでお選びください。", "足幅が広めの方はワンサイズ上がおすすめです。"],
    ),
    "accessory": (
        ["顔まわりを華やかに見せる{noun}。", "さりげなく光る、{brand}の{noun}です。"],
        ["金属アレルギーに配慮したニッケルフリー素材を使用しています。", "{scene}にも普段使いにもぴったりのデザインです。"],
        ["ギフトボックス付きでプレゼントにもおすすめです。"],
    ),
    "skincare": (
        ["{ingredient}を配合した{noun}。", "{brand}の人気{noun}がリニューアル。{ingredient}配合です。"],
        ["乾燥しがちな肌をやさしくうるおし、なめらかに整えます。", "べたつかない使い心地で、朝晩のお手入れに取り入れやすい一本です。"],
        ["無香料・無着色・アルコールフリー。", "パッチテスト済み（すべての方に肌トラブルが起きないわけではありません）。"],
    ),
    "makeup": (
        ["肌なじみのよい発色が魅力の{noun}です。", "{brand}から、季節限定カラーの{noun}が登場。"],
        ["{ingredient}配合で乾燥しにくく、きれいな仕上がりが長時間続きます。", "薄づきから重ねづけまで、なりたい印象に合わせて使えます。"],
        ["日本人の肌色に合わせたカラー展開です。"],
    ),
    "fragrance": (
        ["{note}がふんわり香る{noun}。", "{brand}の人気の香り「{note}」の{noun}です。"],
        ["やさしく広がる香りで、つける人の印象をやわらかく演出します。", "{scene}にもなじむ、控えめで上品な香り立ちです。"],
        ["持ち歩きに便利なサイズです。", "ギフトにもおすすめの専用ボックス入り。"],
    ),
}  # fmt: skip
WORDS = {
    "material": ["コットン", "リネン混", "ウール混", "とろみポリエステル", "レーヨン混", "カシミヤタッチ"],
    "leather": ["フェイクレザー", "ナイロン", "キャンバス", "牛革"],
    "scene": ["オフィス", "休日のお出かけ", "デート", "旅行", "通勤", "オケージョン"],
    "ingredient": ["ヒアルロン酸", "セラミド", "ビタミンC誘導体", "ナイアシンアミド", "ツボクサエキス", "米ぬかエキス"],
    "note": ["ホワイトムスク", "サボン", "金木犀", "ベルガモット", "ローズ", "ゆず"],
}  # fmt: skip
SEASON_TAGS = ["秋冬", "春夏", "新作", "定番", "ギフト", "プチプラ", "韓国風", "オフィス", "デイリー", "SNSで話題"]


@dataclass
class VariantSpec:
    sku: str
    size: str
    colour: str
    colour_hex: str
    price: int
    compare_at_price: int | None
    stock: int
    position: int


@dataclass
class ProductSpec:
    index: int
    slug: str
    name: str
    brand: str
    description: str
    tags: str
    category_slug: str
    picture: str
    popularity: int
    is_featured: bool
    age: timedelta
    variants: list[VariantSpec]
    paint: list[str]  # colours the pictures are drawn in
    angles: tuple[str, ...]


@dataclass
class SeedResult:
    categories: int = 0
    products_created: int = 0
    variants_created: int = 0
    images_created: int = 0
    products_total: int = 0
    logins: tuple[DemoLogin, ...] = field(default=DEMO_LOGINS)
    staff_otp_url: str = ""
    staff_backup_codes: tuple[str, ...] = ()


def _leaves() -> list[tuple[str, str, tuple]]:
    """Child categories interleaved across the top level, so even a handful of products covers every department."""
    rows = []
    for depth in range(max(len(children) for *_, children in CATALOGUE)):
        for _slug, _name, kind, children in CATALOGUE:
            if depth < len(children):
                rows.append((kind, children[depth]))
    return rows


def _sale_price(price: int, rng: random.Random) -> int:
    discounted = int(price * rng.choice((0.5, 0.7, 0.8))) // 100 * 100 - 10
    return max(discounted, 490)


def _scaled(price: int, factor: float) -> int:
    return price if factor == 1 else int(price * factor) // 100 * 100 + 80


def _stocks(count: int, rng: random.Random, *, sold_out: bool) -> list[int]:
    if sold_out:
        return [0] * count
    stocks = []
    for _ in range(count):
        roll = rng.random()
        stocks.append(0 if roll < 0.12 else rng.randint(1, 5) if roll < 0.3 else rng.randint(6, 40))
    if not any(stocks):
        stocks[-1] = rng.randint(6, 40)
    return stocks


def product_spec(*, index: int, seed: int = DEFAULT_SEED) -> ProductSpec:
    """The demo product with this number; the same for any --products count."""
    rng = random.Random(f"{seed}:{index}")
    leaves = _leaves()
    kind, (category_slug, category_name, picture, prices, nouns) = leaves[(index - 1) % len(leaves)]
    noun, noun_slug = rng.choice(nouns)
    adjective, adjective_slug = rng.choice(ADJECTIVES[kind])
    brand = rng.choice(BRANDS["beauty" if kind in ("skincare", "makeup", "fragrance") else "fashion"])
    first, second, third = SENTENCES[kind]
    words = {key: rng.choice(values) for key, values in WORDS.items()}
    sentences = [rng.choice(first), rng.choice(second)] + ([rng.choice(third)] if rng.random() < 0.6 else [])
    description = "".join(s.format(brand=brand, noun=noun, **words) for s in sentences)
    tags = " ".join(dict.fromkeys([category_name, noun, adjective.removesuffix("の"), *rng.sample(SEASON_TAGS, 2)]))

    base = rng.choice(prices)
    on_sale = rng.random() < 0.2
    price, compare_at = (_sale_price(base, rng), base) if on_sale else (base, None)

    if kind == "apparel":
        colours = rng.sample(COLOURS, rng.randint(1, 3))
        sizes = ["S", "M", "L", "XL"] if rng.random() < 0.5 else ["S", "M", "L"]
    elif kind == "shoes":
        colours = rng.sample(COLOURS, rng.randint(1, 2))
        sizes = ["22.5", "23.0", "23.5", "24.0", "24.5", "25.0", "25.5"]
    elif kind == "bag":
        colours, sizes = rng.sample(COLOURS, rng.randint(1, 3)), ["F"]
    elif kind == "accessory":
        colours, sizes = rng.sample(METALS, rng.randint(1, 3)), ["F"]
    elif category_slug == "foundation":
        colours, sizes = SKIN_SHADES, ["15g"]
    elif kind == "makeup":
        colours, sizes = rng.sample(SHADES, rng.randint(2, 4)), [""]
    else:
        tint = rng.choice(BEAUTY_TINTS)
        colours = [("", tint, "")]
        sizes = ["30ml", "50ml"] if category_slug != "hand-cream" else ["30g", "75g"]

    sold_out = rng.random() < 0.04
    combos = [(colour, size) for colour in colours for size in sizes]
    stocks = _stocks(len(combos), rng, sold_out=sold_out)
    variants = []
    for position, ((colour, colour_hex, code), size) in enumerate(combos):
        # The larger volume of a cosmetic costs more; clothes and shoes cost the same in every size.
        factor = 1 + 0.6 * sizes.index(size) if size.endswith(("ml", "g")) else 1
        sku_parts = [f"{SKU_PREFIX}{index:04d}", code, size.replace(".", "").upper()]
        variants.append(
            VariantSpec(
                sku="-".join(part for part in sku_parts if part),
                size=size,
                colour=colour,
                colour_hex=colour_hex,
                price=_scaled(price, factor),
                compare_at_price=_scaled(compare_at, factor) if compare_at else None,
                stock=stocks[position],
                position=position,
            )
        )
    return ProductSpec(
        index=index,
        slug=f"{SLUG_PREFIX}{index:04d}-{adjective_slug}-{noun_slug}",
        name=f"{adjective}{noun}",
        brand=brand,
        description=description,
        tags=tags,
        category_slug=category_slug,
        picture=picture,
        popularity=min(int(rng.paretovariate(1.3) * 12) - 12, 2000),
        is_featured=rng.random() < 0.15,
        age=timedelta(days=rng.uniform(0, 90)),
        variants=variants,
        paint=[c[1] for c in colours],
        angles=ANGLES[: rng.choices((2, 3, 4), weights=(45, 35, 20))[0]],
    )


# --- Pictures -------------------------------------------------------------------------------------------------
# Shapes in unit coordinates (0..1 of the canvas). "body" is filled in the product colour and casts the shadow;
# "detail" is drawn on top in a tone derived from it.
_TOP = [("poly", [(0.34, 0.2), (0.42, 0.17), (0.5, 0.21), (0.58, 0.17), (0.66, 0.2), (0.84, 0.34), (0.76, 0.44), (0.68, 0.38), (0.68, 0.82), (0.32, 0.82), (0.32, 0.38), (0.24, 0.44), (0.16, 0.34)])]  # fmt: skip
SHAPES = {
    "top": {"body": _TOP, "detail": [("arc", (0.42, 0.1, 0.58, 0.25), 20, 160, 0.008, "shade"), ("line", [(0.33, 0.78), (0.67, 0.78)], 0.006, "shade"), ("line", [(0.26, 0.41), (0.19, 0.35)], 0.006, "shade")]},
    "hoodie": {"body": [*_TOP, ("ellipse", (0.38, 0.08, 0.62, 0.3))], "detail": [("ellipse", (0.43, 0.13, 0.57, 0.27), "shade"), ("rect", (0.38, 0.58, 0.62, 0.7), 0.02, "shade"), ("line", [(0.46, 0.27), (0.46, 0.4)], 0.006, "light"), ("line", [(0.54, 0.27), (0.54, 0.4)], 0.006, "light")]},
    "coat": {"body": [("poly", [(0.33, 0.14), (0.5, 0.18), (0.67, 0.14), (0.8, 0.24), (0.86, 0.72), (0.76, 0.74), (0.72, 0.4), (0.72, 0.9), (0.28, 0.9), (0.28, 0.4), (0.24, 0.74), (0.14, 0.72), (0.2, 0.24)])], "detail": [("line", [(0.41, 0.16), (0.5, 0.45), (0.59, 0.16)], 0.008, "shade"), ("line", [(0.5, 0.45), (0.5, 0.9)], 0.006, "shade"), ("ellipse", (0.455, 0.53, 0.485, 0.56), "shade"), ("ellipse", (0.455, 0.66, 0.485, 0.69), "shade"), ("line", [(0.33, 0.62), (0.41, 0.62)], 0.006, "shade"), ("line", [(0.59, 0.62), (0.67, 0.62)], 0.006, "shade")]},
    "pants": {"body": [("poly", [(0.32, 0.14), (0.68, 0.14), (0.74, 0.88), (0.56, 0.88), (0.5, 0.36), (0.44, 0.88), (0.26, 0.88)])], "detail": [("line", [(0.32, 0.2), (0.68, 0.2)], 0.008, "shade"), ("ellipse", (0.49, 0.155, 0.51, 0.185), "light"), ("line", [(0.38, 0.24), (0.35, 0.86)], 0.004, "shade"), ("line", [(0.62, 0.24), (0.65, 0.86)], 0.004, "shade")]},
    "skirt": {"body": [("poly", [(0.36, 0.16), (0.64, 0.16), (0.8, 0.82), (0.2, 0.82)])], "detail": [("line", [(0.355, 0.22), (0.645, 0.22)], 0.008, "shade"), *[("line", [(0.4 + k * 0.05, 0.24), (0.27 + k * 0.115, 0.82)], 0.004, "shade") for k in range(5)]]},
    "dress": {"body": [("poly", [(0.4, 0.1), (0.45, 0.1), (0.5, 0.18), (0.55, 0.1), (0.6, 0.1), (0.62, 0.38), (0.58, 0.46), (0.8, 0.9), (0.2, 0.9), (0.42, 0.46), (0.38, 0.38)])], "detail": [("line", [(0.42, 0.46), (0.58, 0.46)], 0.008, "shade"), ("line", [(0.3, 0.7), (0.7, 0.7)], 0.005, "shade")]},
    "bag": {"body": [("rect", (0.24, 0.38, 0.76, 0.8), 0.05), ("arc", (0.34, 0.18, 0.66, 0.58), 180, 360, 0.03)], "detail": [("poly", [(0.24, 0.4), (0.76, 0.4), (0.76, 0.54), (0.5, 0.6), (0.24, 0.54)], "shade"), ("ellipse", (0.48, 0.55, 0.52, 0.6), "light")]},
    "tote": {"body": [("poly", [(0.24, 0.36), (0.76, 0.36), (0.8, 0.84), (0.2, 0.84)]), ("arc", (0.3, 0.16, 0.46, 0.56), 180, 360, 0.022), ("arc", (0.54, 0.16, 0.7, 0.56), 180, 360, 0.022)], "detail": [("line", [(0.25, 0.42), (0.75, 0.42)], 0.004, "shade"), ("rect", (0.42, 0.56, 0.58, 0.64), 0.01, "light")]},
    "shoe": {"body": [("poly", [(0.12, 0.52), (0.2, 0.4), (0.36, 0.38), (0.5, 0.5), (0.7, 0.55), (0.84, 0.6), (0.88, 0.68), (0.12, 0.68)])], "detail": [("rect", (0.11, 0.66, 0.89, 0.72), 0.02, "white"), *[("line", [(0.38 + k * 0.05, 0.44 + k * 0.02), (0.44 + k * 0.05, 0.48 + k * 0.02)], 0.006, "light") for k in range(3)]]},
    "pump": {"body": [("poly", [(0.14, 0.62), (0.22, 0.5), (0.46, 0.56), (0.7, 0.44), (0.84, 0.46), (0.84, 0.56), (0.16, 0.66)]), ("poly", [(0.76, 0.55), (0.84, 0.55), (0.82, 0.8), (0.8, 0.8)])], "detail": [("line", [(0.22, 0.51), (0.46, 0.57), (0.72, 0.45)], 0.006, "shade")]},
    "boot": {"body": [("poly", [(0.3, 0.14), (0.52, 0.14), (0.54, 0.54), (0.76, 0.6), (0.84, 0.7), (0.26, 0.7), (0.28, 0.4)])], "detail": [("rect", (0.25, 0.69, 0.85, 0.74), 0.01, "dark"), ("rect", (0.26, 0.7, 0.36, 0.8), 0.01, "dark"), ("poly", [(0.4, 0.16), (0.46, 0.16), (0.45, 0.4), (0.41, 0.4)], "shade")]},
    "earring": {"body": [("arc", (0.2, 0.3, 0.46, 0.64), 0, 360, 0.035), ("arc", (0.54, 0.3, 0.8, 0.64), 0, 360, 0.035)], "detail": [("ellipse", (0.31, 0.26, 0.35, 0.3), "light"), ("ellipse", (0.65, 0.26, 0.69, 0.3), "light")]},
    "necklace": {"body": [("arc", (0.2, 0.02, 0.8, 0.62), 15, 165, 0.012), ("ellipse", (0.45, 0.6, 0.55, 0.72))], "detail": [("ellipse", (0.475, 0.63, 0.525, 0.69), "white")]},
    "clip": {"body": [("rect", (0.18, 0.42, 0.82, 0.58), 0.08)], "detail": [*[("ellipse", (0.24 + k * 0.11, 0.46, 0.3 + k * 0.11, 0.54), "white") for k in range(5)]]},
    "bottle": {"body": [("rect", (0.36, 0.34, 0.64, 0.84), 0.04), ("rect", (0.45, 0.26, 0.55, 0.35), 0)], "detail": [("rect", (0.42, 0.14, 0.58, 0.28), 0.02, "dark"), ("rect", (0.4, 0.52, 0.6, 0.7), 0.01, "white")]},
    "jar": {"body": [("rect", (0.28, 0.5, 0.72, 0.78), 0.04)], "detail": [("rect", (0.26, 0.4, 0.74, 0.52), 0.03, "dark"), ("rect", (0.36, 0.58, 0.64, 0.7), 0.01, "white")]},
    "tube": {"body": [("poly", [(0.38, 0.14), (0.62, 0.14), (0.65, 0.7), (0.35, 0.7)])], "detail": [("rect", (0.42, 0.7, 0.58, 0.84), 0.02, "dark"), ("line", [(0.38, 0.17), (0.62, 0.17)], 0.006, "shade"), ("rect", (0.42, 0.34, 0.58, 0.5), 0.01, "white")]},
    "perfume": {"body": [("rect", (0.3, 0.4, 0.7, 0.82), 0.08), ("rect", (0.46, 0.32, 0.54, 0.41), 0)], "detail": [("rect", (0.41, 0.18, 0.59, 0.33), 0.02, "gold"), ("rect", (0.4, 0.56, 0.6, 0.66), 0.01, "white")]},
    "lipstick": {"body": [("rect", (0.4, 0.42, 0.6, 0.84), 0.01), ("poly", [(0.43, 0.43), (0.43, 0.24), (0.57, 0.17), (0.57, 0.43)])], "detail": [("rect", (0.4, 0.42, 0.6, 0.84), 0.01, "dark"), ("rect", (0.4, 0.42, 0.6, 0.48), 0, "gold")]},
    "palette": {"body": [("rect", (0.18, 0.28, 0.82, 0.72), 0.04)], "detail": [("rect", (0.18, 0.28, 0.82, 0.72), 0.04, "dark"), *[("ellipse", (0.24 + (k % 2) * 0.3, 0.33 + (k // 2) * 0.2, 0.46 + (k % 2) * 0.3, 0.5 + (k // 2) * 0.2), tone) for k, tone in enumerate(("light", "paint", "shade", "gold"))]]},
    "compact": {"body": [("ellipse", (0.24, 0.24, 0.76, 0.76))], "detail": [("ellipse", (0.24, 0.24, 0.76, 0.76), "dark"), ("ellipse", (0.29, 0.29, 0.71, 0.71), "paint"), ("ellipse", (0.36, 0.36, 0.64, 0.64), "light")]},
}  # fmt: skip


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def _mix(a: tuple, b: tuple, t: float) -> tuple[int, int, int]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def _luminance(rgb: tuple) -> float:
    return (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255


def _tones(rgb: tuple) -> dict[str, tuple]:
    light = _luminance(rgb) > 0.35
    return {
        "paint": rgb,
        "shade": _mix(rgb, (0, 0, 0), 0.3) if light else _mix(rgb, (255, 255, 255), 0.25),
        "light": _mix(rgb, (255, 255, 255), 0.45),
        "dark": (43, 40, 42),
        "gold": (201, 167, 74),
        "white": (248, 246, 242),
    }


def _box(place: Callable, box: tuple) -> tuple[float, float, float, float]:
    (x0, y0), (x1, y1) = place(box[:2]), place(box[2:])
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _draw(draw: ImageDraw.ImageDraw, primitive: tuple, place: Callable, scale: float, fill) -> None:
    kind, *args = primitive
    if kind == "poly":
        draw.polygon([place(p) for p in args[0]], fill=fill)
    elif kind == "ellipse":
        draw.ellipse(_box(place, args[0]), fill=fill)
    elif kind == "rect":
        draw.rounded_rectangle(_box(place, args[0]), radius=args[1] * scale, fill=fill)
    elif kind == "arc":
        draw.arc(_box(place, args[0]), args[1], args[2], fill=fill, width=max(2, round(args[3] * scale)))
    elif kind == "line":
        draw.line([place(p) for p in args[0]], fill=fill, width=max(2, round(args[1] * scale)), joint="curve")


@functools.cache
def _gradient(*, flip: bool) -> Image.Image:
    gradient = Image.linear_gradient("L").resize((IMAGE_SIZE, IMAGE_SIZE))
    return gradient.transpose(Image.Transpose.ROTATE_90) if flip else gradient


def _background(rgb: tuple, *, flip: bool) -> Image.Image:
    base = (255, 255, 255) if _luminance(rgb) < 0.72 else (150, 144, 136)
    top = _mix(rgb, base, 0.86 if base[0] == 255 else 0.55)
    bottom = _mix(rgb, base, 0.7 if base[0] == 255 else 0.42)
    size = (IMAGE_SIZE, IMAGE_SIZE)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), _gradient(flip=flip))


def picture_draw(*, shape: str, paint: list[str], angle: str) -> bytes:
    """An 800x800 JPEG suggesting the item: gradient backdrop, soft shadow, silhouette and a few details."""
    spec = SHAPES[shape]
    colours = [_rgb(c) for c in paint] or [(200, 190, 180)]
    canvas = _background(colours[0], flip=angle == "back")
    if angle == "colours":
        # Every colour side by side (or the one colour, smaller), like a flat-lay of the range.
        count = min(len(colours), 3)
        factor = min(0.6, 0.96 / count)
        layers = [(colours[k], (k + 0.5) / count - factor / 2, 0.5 - factor / 2, factor) for k in range(count)]
    else:
        layers = [(colours[0], 0.0, 0.0, 1.0)]
    for rgb, ox, oy, factor in layers:
        scale = IMAGE_SIZE * factor
        mirror = angle == "back"

        def place(point, ox=ox, oy=oy, scale=scale, mirror=mirror):
            x, y = point
            return (ox * IMAGE_SIZE + (1 - x if mirror else x) * scale, oy * IMAGE_SIZE + y * scale)

        mask = Image.new("L", canvas.size, 0)
        mask_draw = ImageDraw.Draw(mask)
        for primitive in spec["body"]:
            _draw(mask_draw, primitive, place, scale, 255)
        # The soft shadow is blurred at a quarter of the size: much cheaper and it looks the same.
        small = mask.reduce(4).filter(ImageFilter.GaussianBlur(4)).point(lambda v: int(v * 0.35))
        shadow = Image.new("L", canvas.size, 0)
        shadow.paste(small.resize(canvas.size, Image.Resampling.BILINEAR), (12, 18))
        canvas = Image.composite(Image.new("RGB", canvas.size, _mix(colours[0], (0, 0, 0), 0.5)), canvas, shadow)
        canvas.paste(rgb, mask=mask)
        draw = ImageDraw.Draw(canvas)
        tones = _tones(rgb)
        for *primitive, tone in spec["detail"]:
            # From the back only the solid parts (caps, cases, heels) show, not the seams, labels or pans.
            if angle != "back" or tone in ("dark", "gold"):
                _draw(draw, tuple(primitive), place, scale, tones[tone])
    if angle == "detail":
        canvas = canvas.crop((200, 160, 600, 560)).resize(canvas.size, Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    canvas.save(buffer, format="JPEG", quality=86)
    return buffer.getvalue()


# --- Writes ---------------------------------------------------------------------------------------------------
def demo_categories_ensure() -> dict[str, Category]:
    """The two-level category tree, created once and left alone afterwards (staff may rename or reorder)."""
    by_slug = {}
    with transaction.atomic():
        for position, (slug, name, _kind, children) in enumerate(CATALOGUE):
            parent, _ = Category.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})
            by_slug[slug] = parent
            for child_position, (child_slug, child_name, *_rest) in enumerate(children):
                child, _ = Category.objects.get_or_create(
                    slug=child_slug, defaults={"name": child_name, "parent": parent, "position": child_position}
                )
                by_slug[child_slug] = child
    return by_slug


def demo_product_ensure(*, spec: ProductSpec, categories: dict[str, Category]) -> tuple[Product, bool, int, int]:
    """Create demo product number spec.index, or give an existing one the variants or pictures it lacks.

    Returns (product, created?, variants created, pictures created). An existing product is found by its number
    (slug prefix), so it keeps its fields, staff's edits and its SKUs even if the word lists change later.
    """
    with transaction.atomic():
        product = Product.objects.filter(slug__startswith=f"{SLUG_PREFIX}{spec.index:04d}-").first()
        created = product is None
        if created:
            product = Product.objects.create(
                slug=spec.slug,
                category=categories[spec.category_slug],
                name=spec.name,
                brand=spec.brand,
                description=spec.description,
                tags=spec.tags,
                is_featured=spec.is_featured,
                popularity=spec.popularity,
            )
            # created_at is auto_now_add; an update() moves it without a history row.
            Product.objects.filter(pk=product.pk).update(created_at=timezone.now() - spec.age)
        variants = 0
        if created or not product.variants.exists():
            for v in spec.variants:
                # One by one rather than bulk_create, so each variant gets its first history row like any other.
                Variant.objects.create(
                    product=product,
                    sku=v.sku,
                    size=v.size,
                    colour=v.colour,
                    colour_hex=v.colour_hex,
                    price=v.price,
                    compare_at_price=v.compare_at_price,
                    stock=v.stock,
                    position=v.position,
                )
            variants = len(spec.variants)
            product_sync_from_variants(product_id=product.pk)
        images = 0
        if not product.images.exists():
            for position, angle in enumerate(spec.angles):
                data = picture_draw(shape=spec.picture, paint=spec.paint, angle=angle)
                row = ProductImage(product=product, alt=f"{spec.name}（{ANGLE_ALT[angle]}）", position=position)
                # Saving the row fires the post_save receiver, which enqueues the renditions after commit.
                row.image.save(f"{spec.slug}-{angle}.jpg", ContentFile(data), save=True)
                images += 1
    return product, created, variants, images


def demo_features_ensure(*, seed: int = DEFAULT_SEED, now: datetime | None = None) -> list[Feature]:
    """Three feature blocks with their products. Dates are relative to now and refreshed on every run, so the
    demo's live features stay live however old the database is."""
    now = now or timezone.now()
    rng = random.Random(f"{seed}:features")
    demo = Product.objects.filter(slug__regex=DEMO_SLUG_REGEX).select_related("category__parent").order_by("slug")
    by_top: dict[str, list[int]] = {}
    for product in demo:
        top = product.category.parent or product.category
        by_top.setdefault(top.slug, []).append(product.pk)

    def pick(tops: tuple[str, ...], count: int = 12) -> list[int]:
        pool = [pk for top in tops for pk in by_top.get(top, [])]
        return sorted(rng.sample(pool, min(count, len(pool))))

    local_now = timezone.localtime(now)
    new_year = local_now.replace(year=local_now.year + 1, month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = [
        {
            "slug": "christmas-gift",
            "title": "クリスマスギフト特集",
            "kind": Feature.Kind.CHRISTMAS,
            "lead": "大切な人へ贈りたい、とっておきのギフトを集めました。",
            "description": "アクセサリーやフレグランス、バッグなど、ラッピング対応のアイテムをご紹介。\n一部は数量限定の特別セットです。",
            "accent_colour": "#b5485d",
            "starts_at": now - timedelta(days=3),
            "ends_at": now + timedelta(days=30),
            "position": 0,
            "products": pick(("accessories", "fragrance", "bags", "makeup")),
        },
        {
            "slug": "winter-skincare",
            "title": "冬のスキンケア特集",
            "kind": Feature.Kind.SEASONAL,
            "lead": "乾燥が気になる季節に、うるおいを守るアイテムを。",
            "description": "保湿力にこだわった化粧水・美容液・クリームをピックアップしました。",
            "accent_colour": "#4f7a8c",
            "starts_at": now - timedelta(days=10),
            "ends_at": now + timedelta(days=45),
            "position": 1,
            "products": pick(("skincare",)),
        },
        {
            "slug": "fukubukuro",
            "title": f"福袋 {new_year.year}",
            "kind": Feature.Kind.NEW_YEAR,
            "lead": "人気ブランドのアイテムが詰まった、お得な福袋。",
            "description": "元日0時から販売開始。なくなり次第終了です。",
            "accent_colour": "#c8102e",
            "starts_at": new_year,
            "ends_at": new_year + timedelta(days=7),
            "position": 2,
            "products": pick(("tops", "bottoms", "outerwear", "bags", "skincare", "makeup")),
        },
    ]
    features = []
    with transaction.atomic():
        for row in rows:
            product_ids = row.pop("products")
            feature, _ = Feature.objects.update_or_create(slug=row.pop("slug"), defaults=row)
            feature.products.set(product_ids)
            features.append(feature)
        # A couple of event-limited products: on sale only until the Christmas feature ends (or a little earlier).
        limited = list(features[0].products.order_by("pk").values_list("pk", flat=True)[:2])
        for days, pk in zip((14, 30), limited, strict=False):
            Product.objects.filter(pk=pk).update(available_until=now + timedelta(days=days))
        on_sale_counts_forget()  # update() sends no post_save
    return features


def demo_users_ensure() -> list[User]:
    """The demo logins, with a verified primary e-mail address so they can sign in when verification is mandatory.
    A password or role changed since the last run is put back, so the logins printed at the end always work."""
    users = []
    with transaction.atomic():
        for login in DEMO_LOGINS:
            user, created = User.objects.get_or_create(
                email=login.email,
                defaults={"is_staff": login.is_staff, "is_superuser": login.is_staff, "display_name": login.role},
            )
            flags = (True, login.is_staff, login.is_staff)
            if created or (user.is_active, user.is_staff, user.is_superuser) != flags:
                user.is_active, user.is_staff, user.is_superuser = flags
                user.save(update_fields=["is_active", "is_staff", "is_superuser"])
            if not user.check_password(login.password):
                user.set_password(login.password)
                user.save(update_fields=["password"])
            address, _ = EmailAddress.objects.get_or_create(
                user=user, email=login.email, defaults={"verified": True, "primary": True}
            )
            if not (address.verified and address.primary):
                EmailAddress.objects.filter(pk=address.pk).update(verified=True, primary=True)
            # As a new sign-up would: the demo logins have accepted the current privacy policy and terms.
            legal_accept_current(user=user)
            users.append(user)
    return users


def demo_staff_two_factor_ensure(*, user: User) -> tuple[str, list[str]]:
    """The staff login's authenticator (the fixed demo key) and backup codes, new ones only when fewer than
    DEMO_BACKUP_CODES_MINIMUM are left; returns the otpauth:// URL and the unused codes."""
    device = otp.totp_device_ensure(user=user, key_hex=otp.key_hex_from_base32(DEMO_STAFF_TOTP_SECRET))
    codes = otp.backup_codes_ensure(user=user, minimum=DEMO_BACKUP_CODES_MINIMUM)
    return device.config_url, codes


def demo_products_delete() -> int:
    """Remove every demo product ("demo-0001-…") with its pictures and rendition files; categories stay."""
    products = Product.objects.filter(slug__regex=DEMO_SLUG_REGEX)
    files = []
    for image in ProductImage.objects.filter(product__in=products):
        files += [image.image.name, *image.renditions.get("webp", {}).values(), image.renditions.get("og")]
    with transaction.atomic():
        count = products.count()
        products.delete()
        transaction.on_commit(lambda: [default_storage.delete(name) for name in files if name])
    return count


def demo_data_seed(
    *,
    products: int = DEFAULT_PRODUCTS,
    seed: int = DEFAULT_SEED,
    reset: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> SeedResult:
    """Build (or complete) the demo shop. Each product is its own transaction, so its renditions are made as soon
    as it is committed (inline when Celery runs eagerly) and an interrupted run simply continues next time."""
    if reset:
        demo_products_delete()
    result = SeedResult()
    categories = demo_categories_ensure()
    result.categories = len(categories)
    for index in range(1, products + 1):
        _product, created, variants, images = demo_product_ensure(
            spec=product_spec(index=index, seed=seed), categories=categories
        )
        result.products_created += created
        result.variants_created += variants
        result.images_created += images
        if progress:
            progress(index, products)
    demo_features_ensure(seed=seed)
    for user in demo_users_ensure():
        if user.is_staff:
            result.staff_otp_url, codes = demo_staff_two_factor_ensure(user=user)
            result.staff_backup_codes = tuple(codes)
    result.products_total = Product.objects.filter(slug__regex=DEMO_SLUG_REGEX).count()
    return result
