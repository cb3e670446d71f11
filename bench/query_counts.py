"""SQL queries each benchmarked page makes, counted in-process with the same settings the server uses.

    DJANGO_SETTINGS_MODULE=bench.ceiling_settings .venv/bin/python bench/query_counts.py bench/out/size-2000/pages.tsv

pages.tsv has one page a line (tab-separated): name, path, optionally a file of paths to rotate through, and who
asks ("" anonymous, "member" the signed-in member of bench/load_catalog.py, through a session made as
bench/clients.py makes it). Also counts an add to cart (POST /cart/add/ of a stocked variant) for a guest
("cart_add") and a signed-in member ("cart_add.member").
Writes <out>/queries.json ({name: {...}}) and, per page, <out>/queries/<name>.sql with one request's SQL, where
<out> is BENCH_RUN_OUT (default bench/out).
"""

import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
OUT = Path(os.environ.get("BENCH_RUN_OUT", BASE_DIR / "bench" / "out"))
SAMPLE = 10


def shape(sql: str) -> str:
    """The query with its literals blanked, so the same query for different rows counts as a repeat."""
    return re.sub(r"'(?:[^']|'')*'|\b\d+\b", "?", sql)


def measure(client, path: str, data: dict | None = None) -> dict:
    """One request's SQL: a GET of the path, or a POST of `data` to it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(path) if data is None else client.post(path, data)
    statements = [q["sql"] for q in captured.captured_queries]
    repeated = sum(n - 1 for n in Counter(shape(s) for s in statements).values() if n > 1)
    return {"status": response.status_code, "bytes": len(response.content), "queries": statements, "repeats": repeated}


def client_for(who: str):
    """A test client: anonymous, or with the signed-in member's session cookie."""
    from django.conf import settings
    from django.test import Client

    from bench.clients import session_create
    from bench.load_catalog import MEMBER_EMAIL

    # A phone browser's User-Agent, as bench/wrk/summary.lua sends: without one a share link counts no click.
    user_agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
    client = Client(HTTP_HOST="127.0.0.1", HTTP_USER_AGENT=user_agent, raise_request_exception=False)
    if who:
        client.cookies[settings.SESSION_COOKIE_NAME] = session_create(MEMBER_EMAIL)
    return client


def count(name: str, runs: list[dict], first_path: str) -> dict:
    """Summary of SAMPLE requests of one page; writes the first one's SQL to <out>/queries/<name>.sql."""
    counts = [len(run["queries"]) for run in runs]
    (OUT / "queries" / f"{name}.sql").write_text(f"-- {first_path}\n" + ";\n".join(runs[0]["queries"]) + ";\n")
    print(
        f"{name:<18} {first_path[:40]:<40} status {sorted({r['status'] for r in runs})} queries {min(counts)}-{max(counts)}"
    )
    return {
        "statuses": sorted({run["status"] for run in runs}),
        "queries_min": min(counts),
        "queries_max": max(counts),
        "repeats_max": max(run["repeats"] for run in runs),
        "bytes": runs[0]["bytes"],
    }


def cart_adds(client) -> list[dict]:
    """SAMPLE adds to cart of different stocked variants (after one to create the cart)."""
    from bench.load_catalog import STOCKED_UNITS
    from shop.catalog.models import Variant

    ids = list(Variant.objects.filter(stock__gte=STOCKED_UNITS // 2).order_by("id").values_list("id", flat=True))
    client.post("/cart/add/", {"variant": ids[-1], "quantity": 1})
    return [measure(client, "/cart/add/", {"variant": pk, "quantity": 1}) for pk in ids[:SAMPLE]]


def main() -> None:
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from bench.load_catalog import MEMBER_EMAIL
    from shop.orders.models import CartLine

    (OUT / "queries").mkdir(parents=True, exist_ok=True)
    clients, results = {}, {}
    for line in Path(sys.argv[1]).read_text().splitlines():
        name, path, paths_file, who = (line.split("\t") + ["", ""])[:4]
        client = clients.setdefault(who, client_for(who))
        paths = Path(paths_file).read_text().split()[:SAMPLE] if paths_file else [path] * SAMPLE
        client.get(paths[0])  # connection, caches and templates warm, as on a server that has been up a while
        results[name] = count(name, [measure(client, p) for p in paths], paths[0])
    for who, name in (("", "cart_add"), ("member", "cart_add.member")):
        client = clients.setdefault(who, client_for(who))
        results[name] = count(name, cart_adds(client), "POST /cart/add/")
    CartLine.objects.filter(cart__user__email=MEMBER_EMAIL).delete()  # the member's cart stays empty for the runs
    (OUT / "queries.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
