"""Full checkout by card to a created PaymentIntent on localstripe, from 4 shopper threads (run by bench/run.sh).

    python bench/bench_checkout.py http://127.0.0.1:8765 http://127.0.0.1:8767 <gunicorn master pid>

Each flow is a new guest (bench/shopload.py's Shopper: requests, CSRF form posts, sent as through a TLS proxy) on a
stocked product (100,000 units, so nothing sells out):

1. product page, 2. add to cart, 3. checkout details (Japanese address, standard shipping, card), 4. review,
5. place the order (redirect to the card page), 6. card page (the shop makes the Stripe customer and SetupIntent),
7. the card posted to localstripe as Stripe.js would (a PaymentMethod; not counted as a shop request),
8. card confirm: the shop creates and confirms the PaymentIntent (answer `{"status": "succeeded"}`).

CHECKOUT_CLIENTS (4) threads run flows back to back for WARMUP (not counted), then for DURATION. Reports flows/s,
latency per flow and per step (p50, p95, p99) and errors (a step without the expected answer ends its flow), with
the CPU used meanwhile. Writes <out>/checkout.json.
"""

import json
import os
import random
import sys
import threading
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import clients, measure, shopload  # noqa: E402

CHECKOUT_CLIENTS = int(os.environ.get("CHECKOUT_CLIENTS", "4"))


def seconds(text: str) -> float:
    """wrk-style durations: "10s", "2m", "500ms"."""
    for suffix, factor in (("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)):
        if text.endswith(suffix) and text[: -len(suffix)].replace(".", "").isdigit():
            return float(text[: -len(suffix)]) * factor
    return float(text)


def stocked_products() -> list[tuple[int, str]]:
    """(variant id, product slug) of the stocked products' first variants."""
    from bench.load_catalog import STOCKED_UNITS
    from shop.catalog.models import Variant

    rows = (
        Variant.objects.filter(stock__gte=STOCKED_UNITS // 2, position=0, is_active=True, product__is_active=True)
        .order_by("id")
        .values_list("id", "product__slug")
    )
    return list(rows)


def card_flow(shopper: shopload.Shopper, stripe_base: str, *, slug: str, variant_id: int, shipping: int) -> bool:
    """One checkout by card, each step recorded under its name; True when the PaymentIntent succeeded."""
    outcome, target = shopload.place_order(
        shopper, slug=slug, variant_id=variant_id, shipping_method=shipping, method="card"
    )
    if outcome != "placed" or "/checkout/pay/" not in target:
        return False
    number = target.rstrip("/").rsplit("/", 1)[-1]
    if shopper.request("pay_page", "GET", f"/checkout/pay/{number}/") is None:
        return False
    outcome, _ = shopload.card_pay(
        shopper,
        stripe_base,
        number,
        declined=False,
        record="stripe_js_card",
        thanks=False,
        secret_key=os.environ["STRIPE_SECRET_KEY"],
    )
    return outcome == "paid"


def run_flows(base_url: str, stripe_base: str, *, until: float, products, shipping: int) -> dict:
    """CHECKOUT_CLIENTS threads doing flows until the monotonic time `until`; hits and flow outcomes."""
    recorder, flows, lock = shopload.Recorder(), [], threading.Lock()

    def loop(seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < until:
            variant_id, slug = rng.choice(products)
            shopper = shopload.Shopper(base_url, recorder, timeout=30)
            start = time.monotonic()
            ok = card_flow(shopper, stripe_base, slug=slug, variant_id=variant_id, shipping=shipping)
            with lock:
                flows.append({"start": start, "seconds": time.monotonic() - start, "ok": ok})

    threads = [threading.Thread(target=loop, args=(n,)) for n in range(CHECKOUT_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"hits": recorder.hits, "flows": flows}


def summary(result: dict, wall: float, cpu: dict) -> dict:
    """Flows/s, latency per flow and per step, errors by step and status."""
    flows, hits = result["flows"], result["hits"]
    done = [f for f in flows if f["ok"]]
    steps = {}
    for action in dict.fromkeys(h.action for h in hits):
        group = [h for h in hits if h.action == action]
        steps[action] = {**shopload.latency_summary(group), "errors": sum(1 for h in group if not h.ok)}
    errors = [f"{h.action} {h.status or 'no answer'} {h.note}".strip() for h in hits if not h.ok]
    return {
        "clients": CHECKOUT_CLIENTS,
        "wall": wall,
        "flows": len(flows),
        "flows_ok": len(done),
        "flows_per_s": len(done) / wall,
        "flow": shopload.latency_summary([shopload.Hit("flow", f["start"], f["seconds"], 200, True) for f in done]),
        "steps": steps,
        "errors": errors,
        "shop_requests": sum(1 for h in hits if h.action != "stripe_js_card"),
        "cpu": cpu,
    }


def main() -> None:
    base_url, stripe_base, master = sys.argv[1], sys.argv[2], int(sys.argv[3])
    clients.django_setup()
    products, shipping = stocked_products(), shopload.shipping_method_id()
    conf = measure.settings()
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as db:
        idle_before = 1 - measure.wait_for_quiet(conf["quiet_wait"])
        warm = time.monotonic() + seconds(conf["warmup"])
        run_flows(base_url, stripe_base, until=warm, products=products, shipping=shipping)
        tracker, started = measure.CpuTracker(master, db), time.monotonic()
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.wait(0.5):
                tracker.sample()

        sampler = threading.Thread(target=sample)
        sampler.start()
        result = run_flows(
            base_url, stripe_base, until=started + seconds(conf["duration"]), products=products, shipping=shipping
        )
        sampling.set()
        sampler.join()
        tracker.sample()
        wall = time.monotonic() - started
    workers, database = tracker.used("workers"), tracker.used("db")
    cpu = {"wall": wall, "cpus": os.cpu_count(), "workers": workers, "db": database, "idle_before": idle_before}
    cpu["other"] = max(tracker.machine_busy() - workers - database, 0.0)  # includes these threads and localstripe
    report = summary(result, wall, cpu)
    report["command"] = (
        f"CHECKOUT_CLIENTS={CHECKOUT_CLIENTS} DURATION={conf['duration']} WARMUP={conf['warmup']}"
        f" STRIPE_SECRET_KEY=<bench> .venv/bin/python bench/bench_checkout.py {base_url} {stripe_base} <gunicorn pid>"
    )
    (measure.OUT / "checkout.json").write_text(json.dumps(report, indent=2))
    with (measure.OUT / "commands.txt").open("a") as handle:
        handle.write(report["command"] + "\n")
    print(
        f"checkout         {report['flows_ok']} flows ({report['flows_per_s']:.2f}/s), flow p50"
        f" {report['flow']['p50']:.0f} ms p95 {report['flow']['p95']:.0f} ms, errors {len(report['errors'])}"
    )


if __name__ == "__main__":
    main()
