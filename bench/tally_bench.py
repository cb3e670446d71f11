"""The hourly share tallies through a real Celery worker, on 100,000 clicks and 10,000 paid orders, run twice.

    .venv/bin/python bench/tally_bench.py                               # 100,000 clicks, 10,000 paid orders
    .venv/bin/python bench/tally_bench.py --clicks 5000 --orders 1000   # a quick look
    .venv/bin/python bench/tally_bench.py --no-results                  # print only

1. Recreates the database `shop_tally` (or TALLY_DATABASE, a name starting with shop_tally or shop_helper_tally; no
   other name), migrated with shop.settings.production and the environment
   bench/shopload.server_env gives gunicorn (REDIS_URL redis://127.0.0.1:6379/11, queue `bench-tally`).
2. Loads (bulk_create, COPY for the clicks): --sharers (1,000) sharers with 1-3 product share links each, popular
   ones getting far more clicks (weight 1/rank^0.8); --clicks clicks over the last 30 days, each from its own
   visitor; --orders paid orders over the last 30 days plus 2% unpaid bank transfers, 40% of them placed through a
   share click (the click's visitor, up to 12 days after it). Of the attributions, 85% are pending (as if the
   per-order tasks had been lost: the most the hourly tally can have to do) and 15% were confirmed by the per-order
   task; 3% of orders are fully and 2% partly refunded. A few are fraud cases: the sharer buying through their own
   link, the sharer's address, card, browser or network, and a ring of new accounts from one network. Three share
   campaigns: every product (tiers 1/3/10 buyers), one category (tiers 2/5) and a paused one. No order is paid in
   the six hours after "now - return window", so no reward falls due between the two runs.
3. Starts `.venv/bin/celery -A shop worker --pool=solo -Q bench-tally` with the same environment, sends beat's two
   hourly tasks (social.shares.tasks.tally_attribution, then social.rewards.tasks.tally_share_rewards, with beat's
   options) with apply_async, and waits for the worker's "succeeded" log line of each (the project keeps no result
   backend; the line carries the returned counts). Wall time runs from apply_async to that line.
4. Runs both again and compares fingerprints (counts, sums, highest ids and a digest of every row the tallies write):
   PASS when the second run changed nothing and every invariant holds. Appends "## Celery tally" to
   bench/RESULTS.md (--no-results: only prints). Exit status 1 on FAIL.
"""

import argparse
import ast
import datetime
import hashlib
import os
import random
import re
import shlex
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import shopload  # noqa: E402

# Another name lets a second checkout run this next to the first without dropping its database.
DATABASE = os.environ.get("TALLY_DATABASE", "shop_tally")
REDIS_DB = 11
QUEUE = "bench-tally"
SETTINGS = "shop.settings.production"
WORKER_LOG = shopload.OUT / "tally_bench.worker.log"
# Beat's entries (shop/settings/base.py CELERY_BEAT_SCHEDULE), in the order of the hour they run in (:17, :37).
BEAT_ENTRIES = ("tally-share-attribution", "tally-share-rewards")
ATTRIBUTED_SHARE = 0.40
UNPAID_SHARE = 0.02
ALREADY_CONFIRMED_SHARE = 0.15
REFUNDED_SHARE, PARTLY_REFUNDED_SHARE = 0.03, 0.02
# No payment in this span after "now - return window": a reward due inside it would confirm between the two runs.
QUIET_SPAN = datetime.timedelta(hours=6)

PREFECTURES = [
    ("150-0001", "東京都", "渋谷区", "神宮前"),
    ("530-0001", "大阪府", "大阪市北区", "梅田"),
    ("460-0008", "愛知県", "名古屋市中区", "栄"),
    ("810-0001", "福岡県", "福岡市中央区", "天神"),
    ("060-0001", "北海道", "札幌市中央区", "北一条西"),
    ("980-0021", "宮城県", "仙台市青葉区", "中央"),
]


# --- Environment ----------------------------------------------------------------------------------------------------


def bench_env() -> dict:
    """gunicorn's environment from bench/run.sh (shopload.server_env) with the plain production settings module."""
    return shopload.server_env(
        database=DATABASE,
        redis_db=REDIS_DB,
        queue=QUEUE,
        extra={"DJANGO_SETTINGS_MODULE": SETTINGS, "LOG_LEVEL": "INFO"},  # INFO: production's default log level
    )


def database_recreate(env: dict) -> None:
    """Drops and migrates DATABASE; refuses any other kind of name (the name is also in env's DATABASE_URL)."""
    owned = re.fullmatch(r"shop_(helper_)?tally[a-z_]*", DATABASE)
    if not env["DATABASE_URL"].endswith(f"/{DATABASE}") or not owned:
        raise SystemExit(f"refusing to recreate {env['DATABASE_URL']}: this script only owns shop_tally*")
    shopload.database_recreate(DATABASE, env)


# --- The data -------------------------------------------------------------------------------------------------------


@dataclass
class Person:
    user_id: int | None  # None: a guest
    email: str
    card: str  # the card fingerprint Stripe would report
    address: dict


@dataclass
class Sharer(Person):
    device_key: str = ""
    network: str = ""  # "10.1.2." (a /24 the sharer signs in from)
    links: list = field(default_factory=list)  # [(link id, product id)]
    has_saved_address: bool = False
    card_orders: int = 0


@dataclass
class World:
    now: datetime.datetime
    variants: list  # [(variant id, product id, price, in the campaign's category)]
    variant_of_product: dict
    sharers: list
    weights: list
    members: list
    ring: list  # new accounts made from one network within hours
    figures: Counter = field(default_factory=Counter)


def hex32(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def address(rng: random.Random) -> dict:
    postal, prefecture, city, area = rng.choice(PREFECTURES)
    return {
        "postal_code": postal,
        "prefecture": prefecture,
        "city": city,
        "street": f"{area}{rng.randint(1, 5)}-{rng.randint(1, 20)}-{rng.randint(1, 30)}",
        "building": rng.choice(["", "", f"つなぐハイツ {rng.randint(101, 905)}"]),
    }


def full_width(text: str) -> str:
    """The same address as a Japanese keyboard may type it (full-width digits and dashes)."""
    return text.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))


def load_catalog(rng: random.Random) -> tuple[list, int]:
    """Two categories of clothes under "wear" (the category campaign's) and one of goods: 60 products, 1-2 variants."""
    from shop.catalog.models import Category, Product, Variant

    wear = Category.objects.create(name="ウェア", slug="tally-wear")
    children = [
        Category.objects.create(name="トップス", slug="tally-tops", parent=wear),
        Category.objects.create(name="ボトムス", slug="tally-bottoms", parent=wear),
    ]
    goods = Category.objects.create(name="雑貨", slug="tally-goods")
    products = Product.objects.bulk_create(
        [
            Product(
                category=children[n % 2] if n < 40 else goods,
                name=f"シェア商品 {n}",
                slug=f"tally-{n}",
                brand="Lumi",
                price=0,
            )
            for n in range(60)
        ]
    )
    variants = Variant.objects.bulk_create(
        [
            Variant(
                product=product, sku=f"T-{product.pk}-{size}", size=size, price=rng.choice([1980, 2980, 4980, 7980])
            )
            for product in products
            for size in (["M", "L"] if product.category_id != goods.pk else ["F"])
        ]
    )
    wear_ids = {child.pk for child in children}
    rows = [(v.pk, v.product_id, v.price, v.product.category_id in wear_ids) for v in variants]
    return rows, wear.pk


def users_create(specs: list[tuple[str, datetime.datetime, str]]) -> list:
    """Members from (email, date_joined, signup_ip), without the password hashing (an unusable password)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

    User = get_user_model()
    users = [
        User(
            email=email,
            display_name=email.split("@")[0],
            password=UNUSABLE_PASSWORD_PREFIX,
            date_joined=joined,
            signup_ip=ip,
        )
        for email, joined, ip in specs
    ]
    return User.objects.bulk_create(users, batch_size=5000)


def random_ip(rng: random.Random) -> str:
    return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def load_people(rng: random.Random, now: datetime.datetime, *, sharers: int, members: int) -> tuple:
    """Sharers (a browser and network each, a third with a saved address), members, and a ring of 30 accounts
    made from one /24 within six hours ten days ago (the fraud check for many new accounts)."""
    from shop.accounts.models import Address
    from social.shares.models import KnownDevice

    def joined(days: int) -> datetime.datetime:
        return now - datetime.timedelta(days=rng.uniform(31, days))

    sharer_users = users_create([(f"sharer{n}@example.jp", joined(730), random_ip(rng)) for n in range(sharers)])
    member_users = users_create([(f"member{n}@example.jp", joined(365), random_ip(rng)) for n in range(members)])
    ring_start = now - datetime.timedelta(days=40)
    ring_users = users_create(
        [
            (f"ring{n}@example.jp", ring_start + datetime.timedelta(minutes=12 * n), f"198.51.100.{10 + n}")
            for n in range(30)
        ],
    )
    result_sharers = []
    for user in sharer_users:
        sharer = Sharer(
            user.pk,
            user.email,
            hex32(rng),
            address(rng),
            device_key=hex32(rng),
            network=random_ip(rng).rsplit(".", 1)[0],
        )
        sharer.has_saved_address = rng.random() < 0.33
        result_sharers.append(sharer)
    KnownDevice.objects.bulk_create(
        [KnownDevice(user_id=s.user_id, visitor_key=s.device_key, ip=f"{s.network}.7") for s in result_sharers]
    )
    Address.objects.bulk_create(
        [
            Address(user_id=s.user_id, name="シェア 花子", phone="09012345678", is_default=True, **s.address)
            for s in result_sharers
            if s.has_saved_address
        ]
    )
    people = [Person(u.pk, u.email, hex32(rng), address(rng)) for u in member_users]
    ring = [Person(u.pk, u.email, hex32(rng), address(rng)) for u in ring_users]
    return result_sharers, people, ring


def load_links(rng: random.Random, sharers: list, products: list[int]) -> None:
    """1-3 product links per sharer (LINE, X, ...), codes unique."""
    from social.shares.models import ShareLink

    links = []
    for sharer in sharers:
        for product_id in rng.sample(products, rng.choice([1, 1, 2, 3])):
            channel = rng.choice(["line", "line", "x", "copy", "native"])
            links.append(
                ShareLink(code=f"t{len(links):07d}", sharer_id=sharer.user_id, product_id=product_id, channel=channel)
            )
    made = ShareLink.objects.bulk_create(links, batch_size=5000)
    by_user = {s.user_id: s for s in sharers}
    for link in made:
        by_user[link.sharer_id].links.append((link.pk, link.product_id))


def load_clicks(world: World, rng: random.Random, count: int) -> list[tuple]:
    """COPY of `count` clicks over the last 30 days, each from a visitor of its own. Returns
    [(sharer, link id, product id, visitor key, clicked at)]."""
    from django.db import connection
    from django.utils import timezone

    from social.shares.models import ShareClick

    clicks = []
    for sharer in rng.choices(world.sharers, weights=world.weights, k=count):
        link_id, product_id = rng.choice(sharer.links)
        at = world.now - datetime.timedelta(seconds=rng.uniform(60, 30 * 86400))
        clicks.append((sharer, link_id, product_id, hex32(rng), at))
    columns = "link_id, visitor_key, day, created_at"
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {ShareClick._meta.db_table} ({columns}) FROM STDIN") as copy:
            for _sharer, link_id, _product, visitor, at in clicks:
                copy.write_row((link_id, visitor, timezone.localdate(at), at))
    return clicks


@dataclass
class OrderSpec:
    buyer: Person
    paid_at: datetime.datetime | None
    placed_at: datetime.datetime
    method: str
    first_product: int | None = None
    card: str | None = None
    attribution: dict | None = None  # Attribution fields but the order
    sharer_id: int | None = None  # the sharer of the link, when attributed


def payable_at(world: World, paid_at: datetime.datetime) -> bool:
    """True unless in the span after "now - return window" (QUIET_SPAN) or in the last five minutes."""
    edge = world.now - datetime.timedelta(days=14)
    in_span = edge - datetime.timedelta(minutes=10) <= paid_at <= edge + QUIET_SPAN
    return not in_span and paid_at <= world.now - datetime.timedelta(minutes=5)


def payment_delay(rng: random.Random, method: str) -> datetime.timedelta:
    if method == "bank_transfer":
        return datetime.timedelta(hours=rng.uniform(1, 72))
    return datetime.timedelta(seconds=rng.uniform(5, 120))


def click_to_order(rng: random.Random) -> datetime.timedelta:
    """Time from the share click to the order: mostly within hours, 3% after the 7-day window."""
    roll = rng.random()
    if roll < 0.60:
        return datetime.timedelta(minutes=rng.uniform(2, 120))
    if roll < 0.90:
        return datetime.timedelta(hours=rng.uniform(2, 120))
    if roll < 0.97:
        return datetime.timedelta(hours=rng.uniform(120, 165))
    return datetime.timedelta(days=rng.uniform(7.1, 12))


def buyer_for(world: World, rng: random.Random) -> Person:
    """65% a member, 35% a guest."""
    if rng.random() < 0.65:
        return rng.choice(world.members)
    return Person(None, f"guest{rng.randint(0, 99999)}@example.jp", hex32(rng), address(rng))


def attributed_spec(world: World, rng: random.Random, click: tuple) -> OrderSpec | None:
    """An order placed through a click (None if it would be paid in the future or in the quiet span), now and
    then one of the fraud cases the reward checks look for."""
    sharer, link_id, product_id, visitor, clicked_at = click
    method = rng.choice(["card", "card", "bank_transfer"])
    placed = clicked_at + click_to_order(rng)
    paid = placed + payment_delay(rng, method)
    if not payable_at(world, paid):
        return None
    spec = OrderSpec(buyer_for(world, rng), paid, placed, method, first_product=product_id, sharer_id=sharer.user_id)
    spec.attribution = {
        "link_id": link_id,
        "clicked_at": clicked_at,
        "visitor_key": visitor,
        "buyer_ip": random_ip(rng),
    }
    fraud_case(world, rng, spec, sharer)
    return spec


def fraud_case(world: World, rng: random.Random, spec: OrderSpec, sharer: Sharer) -> None:
    """About 4% of attributed orders: own link, same address, same card, same browser, same network."""
    roll = rng.random()
    if roll < 0.015:
        spec.buyer = Person(sharer.user_id, sharer.email, sharer.card, sharer.address)
        world.figures["fraud: own link"] += 1
    elif roll < 0.022 and sharer.has_saved_address:
        written = {key: full_width(value) for key, value in sharer.address.items()}
        spec.buyer = Person(None, f"friend{rng.randint(0, 9999)}@example.jp", hex32(rng), written)
        world.figures["fraud: sharer's address"] += 1
    elif roll < 0.027 and sharer.card_orders:
        spec.method, spec.card = "card", sharer.card
        spec.buyer = Person(None, f"card{rng.randint(0, 9999)}@example.jp", sharer.card, address(rng))
        world.figures["fraud: sharer's card"] += 1
    elif roll < 0.034:
        spec.attribution["visitor_key"] = sharer.device_key
        world.figures["fraud: sharer's browser"] += 1
    elif roll < 0.040:
        spec.buyer = Person(None, f"net{rng.randint(0, 9999)}@example.jp", hex32(rng), address(rng))
        spec.attribution["buyer_ip"] = f"{sharer.network}.{rng.randint(100, 200)}"
        world.figures["fraud: sharer's network"] += 1


def ring_specs(world: World, rng: random.Random, clicks: list[tuple]) -> list[OrderSpec]:
    """The ring: each new account buys once through the links of one mid-ranked sharer."""
    target = world.sharers[5]
    own = [c for c in clicks if c[0] is target] or clicks
    specs = []
    for person in world.ring:
        spec = None
        while spec is None:
            spec = attributed_spec(world, rng, rng.choice(own))
        spec.buyer = person
        specs.append(spec)
    world.figures["fraud: new-account ring"] = len(specs)
    return specs


def order_specs(world: World, rng: random.Random, clicks: list[tuple], paid: int) -> list[OrderSpec]:
    """`paid` paid orders (40% through a click) plus 2% unpaid bank transfers (40% through a click)."""
    specs = []
    for sharer in rng.sample(world.sharers, len(world.sharers) // 5):  # a fifth of sharers buy too (card matches)
        for _ in range(rng.randint(1, 3)):
            paid_at = world.now - datetime.timedelta(seconds=rng.uniform(600, 30 * 86400))
            if payable_at(world, paid_at):
                specs.append(OrderSpec(sharer, paid_at, paid_at - datetime.timedelta(minutes=3), "card"))
                sharer.card_orders += 1
    specs += ring_specs(world, rng, clicks)
    while len(specs) < paid:
        if rng.random() < ATTRIBUTED_SHARE:
            spec = attributed_spec(world, rng, rng.choice(clicks))
        else:
            paid_at = world.now - datetime.timedelta(seconds=rng.uniform(600, 30 * 86400))
            method = rng.choice(["card", "card", "bank_transfer", "cod"])
            spec = OrderSpec(buyer_for(world, rng), paid_at, paid_at - datetime.timedelta(minutes=5), method)
            spec = spec if payable_at(world, paid_at) else None
        if spec is not None:
            specs.append(spec)
    for _ in range(int(paid * UNPAID_SHARE)):
        placed = world.now - datetime.timedelta(hours=rng.uniform(1, 150))
        spec = OrderSpec(buyer_for(world, rng), None, placed, "bank_transfer")
        if rng.random() < ATTRIBUTED_SHARE:
            sharer, link_id, product_id, visitor, _at = rng.choice(clicks)
            spec.first_product, spec.sharer_id = product_id, sharer.user_id
            clicked = placed - datetime.timedelta(minutes=rng.uniform(2, 600))
            spec.attribution = {"link_id": link_id, "clicked_at": clicked, "visitor_key": visitor, "buyer_ip": None}
        specs.append(spec)
    return specs


def order_status(rng: random.Random, world: World, spec: OrderSpec) -> tuple[str, float]:
    """(status, share of the total refunded) from the order's age."""
    if spec.paid_at is None:
        return "pending_payment", 0
    roll = rng.random()
    if roll < REFUNDED_SHARE:
        return "refunded", 1
    if roll < REFUNDED_SHARE + PARTLY_REFUNDED_SHARE:
        return "partially_refunded", 0.25
    age = world.now - spec.paid_at
    if age < datetime.timedelta(days=1):
        return "paid", 0
    if age < datetime.timedelta(days=3):
        return rng.choice(["processing", "shipped"]), 0
    return "delivered", 0


def order_lines(world: World, rng: random.Random, spec: OrderSpec) -> list[tuple]:
    """1-3 lines [(variant id, product name, price, quantity)], the shared product first (80%)."""
    chosen = rng.sample(world.variants, rng.randint(1, 3))
    if spec.first_product in world.variant_of_product and rng.random() < 0.8:
        first = world.variant_of_product[spec.first_product]
        chosen = [first, *[v for v in chosen if v[1] != spec.first_product]][:3]
    return [(v[0], f"シェア商品 {v[1]}", v[2], rng.choice([1, 1, 1, 2])) for v in chosen]


def load_orders(world: World, rng: random.Random, specs: list[OrderSpec]) -> None:
    """Orders, lines, payments and attributions (bulk_create), then created_at set to the time each was placed."""
    from django.db import connection

    from payments.models import Payment
    from shop.orders.models import Order, OrderLine
    from social.shares.models import Attribution

    orders, lines, statuses = [], [], Counter()
    for n, spec in enumerate(specs):
        status, refunded = order_status(rng, world, spec)
        statuses[status] += 1
        order = order_build(n, spec, status, order_lines(world, rng, spec), refunded, lines)
        orders.append(order)
    made = Order.objects.bulk_create(orders, batch_size=2000)
    for order_index, line in lines:
        line.order_id = made[order_index].pk
    OrderLine.objects.bulk_create([line for _, line in lines], batch_size=5000)
    Payment.objects.bulk_create(
        [payment_build(order, spec) for order, spec in zip(made, specs, strict=True) if order.paid_at],
        batch_size=5000,
    )
    Attribution.objects.bulk_create(
        [
            attribution_build(rng, order, spec, world.now)
            for order, spec in zip(made, specs, strict=True)
            if spec.attribution is not None
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE orders_order o SET created_at = t.placed FROM unnest(%s::bigint[], %s::timestamptz[]) "
            "AS t(id, placed) WHERE o.id = t.id",
            [[o.pk for o in made], [s.placed_at for s in specs]],
        )
        cursor.execute(
            "UPDATE shares_attribution a SET created_at = o.created_at FROM orders_order o WHERE o.id = a.order_id"
        )
    world.figures.update({f"orders {key}": value for key, value in statuses.items()})


def order_build(n: int, spec: OrderSpec, status: str, rows: list[tuple], refunded: float, lines: list):
    """One Order (its OrderLines appended to `lines` as (order index, line))."""
    from shop.orders.models import Order, OrderLine

    subtotal = sum(price * quantity for _v, _name, price, quantity in rows)
    shipping = 0 if subtotal >= 5000 else 600
    fee = 330 if spec.method == "cod" else 0
    total = subtotal + shipping + fee
    ship = spec.buyer.address
    day = (spec.paid_at or spec.placed_at).date()
    order = Order(
        number=f"T{n:08d}",
        checkout_token=uuid.uuid4(),
        user_id=spec.buyer.user_id,
        email=spec.buyer.email,
        status=status,
        payment_method=spec.method,
        ship_name="鈴木 太郎",
        ship_postal_code=ship["postal_code"],
        ship_prefecture=ship["prefecture"],
        ship_city=ship["city"],
        ship_street=ship["street"],
        ship_building=ship["building"],
        ship_phone="09012345678",
        shipping_method_name="宅配便",
        delivery_date_min=day + datetime.timedelta(days=2),
        delivery_date_max=day + datetime.timedelta(days=4),
        subtotal=subtotal,
        shipping_fee=shipping,
        payment_fee=fee,
        total=total,
        refunded_amount=int(total * refunded),
        paid_at=spec.paid_at,
        payment_due=None if spec.paid_at else day + datetime.timedelta(days=7),
        reserved_until=None if spec.paid_at else spec.placed_at + datetime.timedelta(days=7),
    )
    if status in ("shipped", "delivered"):
        order.shipped_at = spec.paid_at + datetime.timedelta(days=1)
    if status == "delivered":
        order.delivered_at = spec.paid_at + datetime.timedelta(days=3)
    for variant_id, name, price, quantity in rows:
        line = OrderLine(
            variant_id=variant_id, sku=f"V{variant_id}", product_name=name, unit_price=price, quantity=quantity
        )
        lines.append((n, line))
    return order


def payment_build(order, spec: OrderSpec):
    from payments.models import Payment

    card = order.payment_method == "card"
    return Payment(
        order=order,
        method=order.payment_method,
        status=Payment.Status.SUCCEEDED,
        amount=order.total,
        refunded_amount=order.refunded_amount,
        stripe_payment_intent=f"pi_tally_{order.number}" if card else None,
        card_brand="visa" if card else "",
        card_last4="4242" if card else "",
        card_fingerprint=(spec.card or spec.buyer.card) if card else "",
    )


def attribution_build(rng: random.Random, order, spec: OrderSpec, now: datetime.datetime):
    """Pending; or, for 15% of the orders paid over a day ago whose attribution counts, confirmed already by the
    per-order task (some of those orders were refunded since: the tally reverses them)."""
    from social.shares.models import Attribution

    attribution = Attribution(order=order, **spec.attribution)
    counts = (
        order.paid_at is not None
        and order.paid_at < now - datetime.timedelta(days=1)
        and order.paid_at - attribution.clicked_at <= datetime.timedelta(days=7)
        and order.user_id != spec.sharer_id
    )
    if counts and rng.random() < ALREADY_CONFIRMED_SHARE:
        attribution.status = Attribution.Status.CONFIRMED
        attribution.decided_at = order.paid_at + datetime.timedelta(minutes=2)
    return attribution


def load_campaigns(world: World, wear_category_id: int) -> None:
    """Every product (tiers 1, 3 with a ¥500 coupon, 10 with a 10% coupon), the wear category (2, 5 with a coupon
    for wear) and one paused by staff. A tenth of a percent of sharers owe points (a shortfall)."""
    from loyalty.models import Coupon, LoyaltySettings, PointAccount
    from social.rewards.models import ShareCampaign, ShareTier

    now = world.now
    LoyaltySettings.load()  # return window 14 days
    yen500 = Coupon.objects.create(code="SHARE500", name="シェア特典 500円オフ", value=500, min_subtotal=3000)
    percent10 = Coupon.objects.create(
        code="SHARE10", name="シェア特典 10%オフ", kind=Coupon.Kind.PERCENT, value=10, max_discount=2000
    )
    wear = Coupon.objects.create(code="SHAREWEAR", name="ウェア 1,000円オフ", value=1000, min_subtotal=5000)
    wear.categories.set([wear_category_id])
    campaigns = [
        ("全商品シェアキャンペーン", 45, 15, True, None, [(1, 100, None), (3, 500, yen500), (10, 2000, percent10)]),
        ("ウェア新作シェア", 20, 10, True, wear_category_id, [(2, 300, None), (5, 1000, wear)]),
        ("一時停止中のキャンペーン", 45, 15, False, None, [(1, 100, None)]),
    ]
    for name, started, ends, active, category, tiers in campaigns:
        campaign = ShareCampaign.objects.create(
            name=name,
            starts_at=now - datetime.timedelta(days=started),
            ends_at=now + datetime.timedelta(days=ends),
            is_active=active,
            daily_cap=5 if category is None else 3,
        )
        if category:
            campaign.categories.set([category])
        ShareTier.objects.bulk_create([ShareTier(campaign=campaign, buyers=b, points=p, coupon=c) for b, p, c in tiers])
    owing = world.sharers[: max(1, len(world.sharers) // 100)]
    PointAccount.objects.bulk_create([PointAccount(user_id=s.user_id, shortfall=50) for s in owing])


def load(args) -> tuple[World, float]:
    """Everything in one transaction, then ANALYZE. Returns the world and the seconds it took."""
    from django.db import connection, transaction
    from django.utils import timezone

    started = time.monotonic()
    rng = random.Random(args.seed)
    with transaction.atomic():
        variants, wear_id = load_catalog(rng)
        now = timezone.now()
        sharers, members, ring = load_people(rng, now, sharers=args.sharers, members=max(200, args.orders // 3))
        products = sorted({v[1] for v in variants})
        load_links(rng, sharers, products)
        weights = [1 / (rank + 1) ** 0.8 for rank in range(len(sharers))]
        world = World(now, variants, {v[1]: v for v in variants}, sharers, weights, members, ring)
        clicks = load_clicks(world, rng, args.clicks)
        specs = order_specs(world, rng, clicks, args.orders)
        load_orders(world, rng, specs)
        load_campaigns(world, wear_id)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    world.figures["clicks"] = args.clicks
    world.figures["orders paid"] = sum(1 for s in specs if s.paid_at)
    world.figures["orders unpaid"] = sum(1 for s in specs if not s.paid_at)
    world.figures["attributions"] = sum(1 for s in specs if s.attribution is not None)
    return world, time.monotonic() - started


# --- The worker -----------------------------------------------------------------------------------------------------


def worker_command() -> list[str]:
    return [
        str(shopload.VENV_BIN / "celery"),
        *("-A", "shop", "worker", "--pool=solo", "-Q", QUEUE, "--loglevel=INFO"),
        *("--hostname", f"{QUEUE}-{os.getpid()}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"),
    ]


def worker_start(env: dict) -> subprocess.Popen:
    """The worker, logging to bench/out/tally_bench.worker.log; returns once it says it is ready."""
    shopload.redis_queue_delete(redis_db=REDIS_DB, queue=QUEUE)  # nothing left from an earlier run
    WORKER_LOG.parent.mkdir(parents=True, exist_ok=True)
    with WORKER_LOG.open("wb") as log:
        process = subprocess.Popen(worker_command(), cwd=shopload.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if " ready." in WORKER_LOG.read_text(errors="replace"):
            return process
        if process.poll() is not None:
            break
        time.sleep(0.2)
    worker_stop(process)
    raise SystemExit("the worker did not start:\n" + WORKER_LOG.read_text(errors="replace")[-3000:])


def worker_stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    shopload.redis_queue_delete(redis_db=REDIS_DB, queue=QUEUE)


@dataclass
class TaskRun:
    name: str
    seconds: float  # apply_async to the worker's "succeeded" line
    runtime: float  # the worker's own figure
    result: dict
    transactions: int  # PostgreSQL commits + rollbacks in DATABASE meanwhile
    started_at: datetime.datetime


def database_transactions() -> int:
    sql = f"SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '{DATABASE}'"  # noqa: S608
    return int(shopload.psql(sql))


def task_run(entry: str, worker: subprocess.Popen, timeout: float) -> TaskRun:
    """Sends beat's entry as beat would (its task and options) and waits for the worker's line about it."""
    from django.conf import settings
    from django.utils import timezone

    from shop.celery import app

    schedule = settings.CELERY_BEAT_SCHEDULE[entry]
    before = database_transactions()
    started_at = timezone.now()
    started = time.monotonic()
    sent = app.tasks[schedule["task"]].apply_async(**schedule.get("options", {}))
    name = re.escape(schedule["task"])
    succeeded = re.compile(rf"Task {name}\[{sent.id}\] succeeded in ([0-9.e+-]+)s: (.*)$", re.M)
    failed = re.compile(
        rf"{name}\[{sent.id}\].*(raised|expired|revoked|rejected|retry)|revoked task: {name}\[{sent.id}\]"
    )
    while True:
        log = WORKER_LOG.read_text(errors="replace")
        match = succeeded.search(log)
        if match:
            break
        if failed.search(log) or worker.poll() is not None or time.monotonic() - started > timeout:
            raise SystemExit(f"{entry}: the task failed or got no answer; see {WORKER_LOG}")
        time.sleep(0.1)
    seconds = time.monotonic() - started
    time.sleep(2.5)  # backends flush their statistics within a second of going idle
    return TaskRun(
        name=schedule["task"],
        seconds=seconds,
        runtime=float(match.group(1)),
        result=ast.literal_eval(match.group(2).strip()),
        transactions=database_transactions() - before - 1,  # minus the reading itself
        started_at=started_at,
    )


# --- Fingerprint and checks -----------------------------------------------------------------------------------------


def fingerprint() -> dict:
    """Counts, sums and highest ids of what the tallies write, and a digest of all those rows."""
    from django.db.models import Count, Max, Sum

    from loyalty.models import Coupon, PointAccount, PointEntry
    from social.rewards.models import SharePurchase, ShareReward
    from social.shares.models import Attribution

    figures = {}
    for status, reason, n in Attribution.objects.values_list("status", "reason").annotate(n=Count("id")):
        figures[f"attributions {status}" + (f" ({reason})" if reason else "")] = n
    for status, n in SharePurchase.objects.values_list("status").annotate(n=Count("id")):
        figures[f"share purchases {status}"] = n
    for status, n, points in ShareReward.objects.values_list("status").annotate(n=Count("id"), p=Sum("points")):
        figures[f"rewards {status}"] = n
        figures[f"rewards {status}: points"] = points
    for kind, n, points in PointEntry.objects.values_list("kind").annotate(n=Count("id"), p=Sum("amount")):
        figures[f"point entries {kind}"] = n
        figures[f"point entries {kind}: sum"] = points
    issued = Coupon.objects.filter(issue_key__startswith="share_reward:")
    figures["coupons issued"] = issued.count()
    figures["point accounts"] = PointAccount.objects.count()
    figures["points owed (shortfall) sum"] = PointAccount.objects.aggregate(s=Sum("shortfall"))["s"] or 0
    for model in (SharePurchase, ShareReward, PointEntry, Coupon, PointAccount):
        figures[f"highest id {model._meta.model_name}"] = model.objects.aggregate(m=Max("pk"))["m"] or 0
    figures["digest"] = state_digest()
    return figures


def state_digest() -> str:
    """md5 over every row the tallies write (attributions, purchases, rewards, points, coupons, accounts)."""
    from loyalty.models import Coupon, PointAccount, PointEntry
    from social.rewards.models import SharePurchase, ShareReward
    from social.shares.models import Attribution

    digest = hashlib.md5(usedforsecurity=False)
    tables = [
        (Attribution, ["order_id", "link_id", "status", "reason", "decided_at"]),
        (SharePurchase, ["campaign_id", "order_id", "sharer_id", "buyer_key", "status", "reasons", "paid_at"]),
        (ShareReward, ["campaign_id", "tier_id", "sharer_id", "status", "points", "confirm_after", "coupon_id"]),
        (PointEntry, ["source_key", "user_id", "amount", "kind", "available_at", "expires_at"]),
        (Coupon, ["code", "owner_id", "issue_key", "template_id", "value", "is_active"]),
        (PointAccount, ["user_id", "shortfall"]),
    ]
    for model, columns in tables:
        for row in model.objects.order_by("pk").values_list("pk", *columns):
            digest.update(repr(row).encode())
    return digest.hexdigest()


INVARIANTS = {
    "point entries sharing a source key": """
        SELECT count(*) FROM (SELECT source_key FROM loyalty_pointentry GROUP BY 1 HAVING count(*) > 1) d""",
    "personal coupons issued twice for one key": """
        SELECT count(*) FROM (SELECT owner_id, issue_key FROM loyalty_coupon WHERE owner_id IS NOT NULL
        GROUP BY 1, 2 HAVING count(*) > 1) d""",
    "paid orders whose attribution is still pending": """
        SELECT count(*) FROM shares_attribution a JOIN orders_order o ON o.id = a.order_id
        WHERE a.status = 'pending' AND o.paid_at IS NOT NULL""",
    "confirmed attributions that break the rules (expired, own purchase, refunded)": """
        SELECT count(*) FROM shares_attribution a JOIN orders_order o ON o.id = a.order_id
        JOIN shares_sharelink l ON l.id = a.link_id JOIN accounts_user s ON s.id = l.sharer_id
        WHERE a.status = 'confirmed' AND (o.paid_at - a.clicked_at > interval '7 days'
        OR o.user_id = s.id OR lower(o.email) = lower(s.email) OR o.status = 'refunded')""",
    "rejected 'expired' attributions paid within 7 days of the click": """
        SELECT count(*) FROM shares_attribution a JOIN orders_order o ON o.id = a.order_id
        WHERE a.reason = 'expired' AND o.paid_at - a.clicked_at <= interval '7 days'""",
    "purchases counted on a refunded order or a reversed attribution": """
        SELECT count(*) FROM share_rewards_sharepurchase p JOIN orders_order o ON o.id = p.order_id
        JOIN shares_attribution a ON a.order_id = p.order_id
        WHERE p.status IN ('counted', 'approved', 'review') AND (o.status = 'refunded' OR a.status = 'reversed')""",
    "purchases outside the campaign's period, or in a paused campaign": """
        SELECT count(*) FROM share_rewards_sharepurchase p JOIN share_rewards_sharecampaign c ON c.id = p.campaign_id
        WHERE p.paid_at < c.starts_at OR p.paid_at > c.ends_at OR NOT c.is_active""",
    "purchases of a category campaign without a line in its categories": """
        SELECT count(*) FROM share_rewards_sharepurchase p
        WHERE EXISTS (SELECT 1 FROM share_rewards_sharecampaign_categories cc WHERE cc.sharecampaign_id = p.campaign_id)
        AND NOT EXISTS (SELECT 1 FROM orders_orderline ol JOIN catalog_variant v ON v.id = ol.variant_id
            JOIN catalog_product pr ON pr.id = v.product_id JOIN catalog_category cat ON cat.id = pr.category_id
            JOIN share_rewards_sharecampaign_categories cc ON cc.sharecampaign_id = p.campaign_id
            WHERE ol.order_id = p.order_id AND (cat.id = cc.category_id OR cat.parent_id = cc.category_id))""",
    "sharer-days with more purchases counted than the daily cap": """
        SELECT count(*) FROM (SELECT p.campaign_id, p.sharer_id, (p.paid_at AT TIME ZONE 'Asia/Tokyo')::date
        FROM share_rewards_sharepurchase p JOIN share_rewards_sharecampaign c ON c.id = p.campaign_id
        WHERE p.status IN ('counted', 'approved') GROUP BY 1, 2, 3, c.daily_cap HAVING count(*) > c.daily_cap) d""",
    "rewards whose tier is not reached by distinct counted buyers, or with other points than the tier's": """
        WITH buyers AS (SELECT campaign_id, sharer_id, count(DISTINCT buyer_key) n FROM share_rewards_sharepurchase
            WHERE status IN ('counted', 'approved') GROUP BY 1, 2)
        SELECT count(*) FROM share_rewards_sharereward r JOIN share_rewards_sharetier t ON t.id = r.tier_id
        LEFT JOIN buyers b ON b.campaign_id = r.campaign_id AND b.sharer_id = r.sharer_id
        WHERE r.status <> 'cancelled' AND (coalesce(b.n, 0) < t.buyers OR r.points <> t.points)""",
    "tiers reached without a reward": """
        WITH buyers AS (SELECT campaign_id, sharer_id, count(DISTINCT buyer_key) n FROM share_rewards_sharepurchase
            WHERE status IN ('counted', 'approved') GROUP BY 1, 2)
        SELECT count(*) FROM buyers b JOIN share_rewards_sharetier t ON t.campaign_id = b.campaign_id AND t.buyers <= b.n
        WHERE NOT EXISTS (SELECT 1 FROM share_rewards_sharereward r WHERE r.tier_id = t.id
            AND r.sharer_id = b.sharer_id AND r.status <> 'cancelled')""",
    "confirmed rewards without exactly their points in one entry, or others with an entry": """
        SELECT count(*) FROM share_rewards_sharereward r
        LEFT JOIN loyalty_pointentry e ON e.source_key = 'share_reward:' || r.id
        WHERE (r.status = 'confirmed' AND r.points > 0 AND (e.id IS NULL OR e.amount <> r.points
            OR e.user_id <> r.sharer_id)) OR (r.status <> 'confirmed' AND e.id IS NOT NULL)""",
    "confirmed rewards of a coupon tier without their coupon, or others with one": """
        SELECT count(*) FROM share_rewards_sharereward r JOIN share_rewards_sharetier t ON t.id = r.tier_id
        LEFT JOIN loyalty_coupon c ON c.id = r.coupon_id
        WHERE (r.status = 'confirmed' AND t.coupon_id IS NOT NULL AND (c.id IS NULL OR c.owner_id <> r.sharer_id
            OR c.issue_key <> 'share_reward:' || r.id OR c.template_id <> t.coupon_id))
        OR (r.status <> 'confirmed' AND r.coupon_id IS NOT NULL)""",
    "share-reward coupons and point entries of no confirmed reward": """
        SELECT (SELECT count(*) FROM loyalty_coupon c WHERE c.issue_key LIKE 'share_reward:%%' AND NOT EXISTS
            (SELECT 1 FROM share_rewards_sharereward r WHERE r.coupon_id = c.id AND r.status = 'confirmed'))
        + (SELECT count(*) FROM loyalty_pointentry e WHERE e.kind = 'share_reward' AND NOT EXISTS
            (SELECT 1 FROM share_rewards_sharereward r WHERE 'share_reward:' || r.id = e.source_key
            AND r.status = 'confirmed'))""",
    "rewards confirmed before their return window passed, or pending after it": """
        SELECT count(*) FROM share_rewards_sharereward r
        WHERE (r.status = 'confirmed' AND r.confirm_after > %(last)s)
        OR (r.status = 'pending' AND r.confirm_after <= %(first)s)""",
}


def invariants(first: datetime.datetime, last: datetime.datetime) -> dict[str, int]:
    """Every value should be 0. first/last: when the first and the last reward tally were sent."""
    from django.db import connection

    found = {}
    with connection.cursor() as cursor:
        for name, sql in INVARIANTS.items():
            cursor.execute(sql, {"first": first, "last": last})
            found[name] = cursor.fetchone()[0]
    return found


# --- Report ---------------------------------------------------------------------------------------------------------


def per_second(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f}" if seconds > 0 else "-"


def work_rows(run: TaskRun) -> int:
    """Rows the task decided: attributions (confirmed + rejected + reversed), or orders recorded for rewards."""
    if run.name.endswith("tally_attribution"):
        return sum(run.result.values())
    return run.result.get("orders", 0)


def runs_table(runs: list[tuple[int, TaskRun]], input_rows: int) -> list[str]:
    rows = [
        "| Run | Task | Wall s | Worker s | Returned | PG transactions | Input rows/s | Decided rows/s |",
        "|---|---|---:|---:|---|---:|---:|---:|",
    ]
    for number, run in runs:
        returned = ", ".join(f"{k}={v}" for k, v in sorted(run.result.items())) or "{}"
        rows.append(
            f"| {number} | `{run.name.rsplit('.', 1)[-1]}` | {run.seconds:.1f} | {run.runtime:.1f} | {returned} | "
            f"{run.transactions:,} | {per_second(input_rows, run.seconds)} | "
            f"{per_second(work_rows(run), run.seconds)} ({work_rows(run):,}) |"
        )
    return rows


def fingerprint_table(before: dict, first: dict, second: dict) -> list[str]:
    rows = ["| Figure | After load | Run 1 | Run 2 |", "|---|---:|---:|---:|"]
    for key in sorted(set(before) | set(first) | set(second), key=lambda k: (k == "digest", k)):
        cells = [before.get(key, 0), first.get(key, 0), second.get(key, 0)]
        shown = [f"`{c[:12]}`" if isinstance(c, str) else f"{c:,}" for c in cells]
        mark = "" if cells[1] == cells[2] else " **changed**"
        rows.append(f"| {key}{mark} | " + " | ".join(shown) + " |")
    return rows


def report(ctx: dict) -> str:
    """The "## Celery tally" section."""
    world, machine = ctx["world"], ctx["machine"]
    figures = world.figures
    load_line = ", ".join(f"{key} {value:,}" for key, value in sorted(figures.items()))
    input_rows = figures["clicks"] + figures["orders paid"] + figures["orders unpaid"]
    lines = [
        "## Celery tally",
        "",
        f"`bench/tally_bench.py`, run on {machine['date']} (load average at start {' '.join(machine['loadavg'])}, "
        f"at the end {' '.join(ctx['loadavg_end'])}).",
        "",
        f"- Machine: `{machine['uname_a']}`, nproc {machine['nproc']}, PostgreSQL {machine['postgres']}; the worker, "
        "PostgreSQL, Redis and this script on this machine, shared with other work",
        f"- Command: `{ctx['command']}` (whole run {ctx['total']:.0f} s, of which loading {ctx['load_seconds']:.0f} s)",
        f"- Worker: `{shlex.join(worker_command()).replace(str(shopload.ROOT) + '/', '')}` with {SETTINGS} "
        f"and the environment of bench/shopload.server_env (REDIS_URL redis://127.0.0.1:6379/{REDIS_DB}, "
        f"CELERY_TASK_DEFAULT_QUEUE {QUEUE}, LOG_LEVEL INFO); tasks sent with beat's options; wall time from "
        'apply_async to the worker\'s "succeeded" log line',
        f"- Database `{DATABASE}` (fresh): {load_line}",
        "",
        f"Input rows = clicks + orders in the database ({input_rows:,}); neither task reads the clicks, so "
        '"Input rows/s" is the load size over the time, as the issue asks. "Decided rows/s" counts what the '
        "task worked through: attributions decided (`tally_attribution`), orders recorded into campaigns "
        "(`tally_share_rewards`, its `orders`). PG transactions: commits and rollbacks in the database meanwhile "
        "(autocommit: each query outside a transaction block is one).",
        "",
        *runs_table(ctx["runs"], input_rows),
        "",
        *fingerprint_table(ctx["before"], ctx["first"], ctx["second"]),
        "",
        "| Invariant | Count |",
        "|---|---:|",
        *[f"| {name} | {count} |" for name, count in ctx["invariants"].items()],
        "",
        f"Second run changed nothing (same fingerprint, no new rows): {'yes' if ctx['same'] else 'NO'}. "
        f"Invariants: {'all 0' if ctx['invariants_ok'] else 'BROKEN'}. **{'PASS' if ctx['passed'] else 'FAIL'}**",
    ]
    return "\n".join(lines)


# --- Main -----------------------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clicks", type=int, default=int(os.environ.get("CLICKS", "100000")))
    parser.add_argument("--orders", type=int, default=int(os.environ.get("ORDERS", "10000")), help="paid orders")
    parser.add_argument("--sharers", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20260701)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for each task")
    parser.add_argument("--no-results", action="store_true", help="do not append to bench/RESULTS.md")
    return parser.parse_args()


def tally_twice(worker: subprocess.Popen, timeout: float) -> tuple[list, dict, dict]:
    """Both beat tasks, twice. Returns [(run number, TaskRun)] and the fingerprints after runs 1 and 2."""
    runs, prints = [], []
    for number in (1, 2):
        for entry in BEAT_ENTRIES:
            run = task_run(entry, worker, timeout)
            runs.append((number, run))
            print(f"   run {number} {run.name}: {run.seconds:.1f} s, {run.transactions:,} transactions, {run.result}")
        prints.append(fingerprint())
    return runs, prints[0], prints[1]


def main() -> int:
    args = parse_args()
    named = [f"TALLY_DATABASE={DATABASE}"] if DATABASE != "shop_tally" else []
    command = shlex.join([*named, ".venv/bin/python", "bench/tally_bench.py", *sys.argv[1:]])
    started = time.monotonic()
    machine = shopload.machine()
    env = bench_env()
    print(f"== database {DATABASE} (fresh, migrated with {SETTINGS})", flush=True)
    database_recreate(env)
    shopload.django_setup(env)
    world, load_seconds = load(args)
    print(f"== loaded in {load_seconds:.0f} s: {dict(sorted(world.figures.items()))}", flush=True)
    before = fingerprint()
    worker = worker_start(env)
    try:
        print(f"== worker ready ({WORKER_LOG.relative_to(shopload.ROOT)}); tallying twice", flush=True)
        runs, first, second = tally_twice(worker, args.timeout)
    finally:
        worker_stop(worker)
    reward_runs = [run for _n, run in runs if run.name.endswith("tally_share_rewards")]
    found = invariants(reward_runs[0].started_at, reward_runs[-1].started_at)
    same = first == second
    ok = not any(found.values())
    ctx = {
        "world": world,
        "machine": machine,
        "command": command,
        "runs": runs,
        "before": before,
        "first": first,
        "second": second,
        "invariants": found,
        "same": same,
        "invariants_ok": ok,
        "passed": same and ok,
        "load_seconds": load_seconds,
        "total": time.monotonic() - started,
        "loadavg_end": Path("/proc/loadavg").read_text().split()[:3],
    }
    text = report(ctx)
    print(text)
    if not args.no_results:
        shopload.append_results(text)
        print("appended to bench/RESULTS.md")
    return 0 if ctx["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
