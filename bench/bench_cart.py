"""Add to cart under load: CSRF form POSTs from 4 clients, each with its own session and cart (run by bench/run.sh).

    python bench/bench_cart.py http://127.0.0.1:8765 <gunicorn master pid>

For an anonymous and for a signed-in shopper: 4 clients (CART_CLIENTS), each a session of its own (a guest's, or
one of the 4 cart members seeded by bench/load_catalog.py, since a member has one cart) with its CSRF token from a
product page. `wrk -t4 -c4` (one connection per client) posts `variant=<id>&quantity=1` to /cart/add/, each client
going through the variants of the stocked products (100,000 units each) from its own place; the operation is the
POST, answered by a redirect to the cart that is not followed. The members' carts are emptied first, so no line
reaches the 99-unit limit.

The shop redirects to the cart also when it refuses an add (with a message), so wrk cannot tell; the units in all
carts are therefore counted before and after the measured run: every request wrk counts must have added one unit.
Writes <out>/wrk/cart_add.{txt,json} and cart_add.member.{txt,json}.
"""

import os
import sys
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import clients, measure  # noqa: E402

CART_CLIENTS = 4


def stocked_variants_file() -> Path:
    """The variants of the stocked products, one id a line."""
    from bench.load_catalog import STOCKED_UNITS
    from shop.catalog.models import Variant

    ids = Variant.objects.filter(
        stock__gte=STOCKED_UNITS // 2, is_active=True, product__is_active=True, product__available_until=None
    ).values_list("id", flat=True)
    path = measure.OUT / "cart_variants.txt"
    path.write_text("".join(f"{pk}\n" for pk in ids.order_by("id")))
    return path


def clients_file(base_url: str, who: str) -> Path:
    """One line per client: its Cookie header and CSRF token. Members' carts are emptied first."""
    from bench.load_catalog import CART_MEMBER_EMAIL
    from shop.orders.models import CartLine

    emails = [CART_MEMBER_EMAIL.format(n=n) for n in range(1, CART_CLIENTS + 1)] if who == "member" else []
    CartLine.objects.filter(cart__user__email__in=emails).delete()
    product_path = clients.a_product_path()
    lines = []
    for n in range(CART_CLIENTS):
        session = clients.session_create(emails[n] if emails else None)
        cookie, token = clients.csrf_client(base_url, session, product_path)
        lines.append(f"{cookie}\t{token}\n")
    path = measure.OUT / f"cart_clients.{who}.txt"
    path.write_text("".join(lines))
    return path


def units_in_carts() -> int:
    from django.db.models import Sum

    from shop.orders.models import CartLine

    return CartLine.objects.aggregate(units=Sum("quantity"))["units"] or 0


def main() -> None:
    base_url, master = sys.argv[1], int(sys.argv[2])
    clients.django_setup()
    variants = stocked_variants_file()
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as db:
        for who, name in (("anon", "cart_add"), ("member", "cart_add.member")):
            env = {"BENCH_CLIENTS": str(clients_file(base_url, who)), "BENCH_VARIANTS": str(variants)}
            counted = {}
            result = measure.measure(
                name,
                base_url + "/cart/add/",
                master=master,
                db=db,
                script="bench/wrk/cart.lua",
                env=env,
                threads=str(CART_CLIENTS),
                connections=str(CART_CLIENTS),
                before_run=lambda counted=counted: counted.update(before=units_in_carts()),
            )
            added = units_in_carts() - counted["before"]
            measure.record(name, result, http_status=302, units_added=added, clients=CART_CLIENTS)
            print(f"{name:<16} units added to the carts: {added}")


if __name__ == "__main__":
    main()
