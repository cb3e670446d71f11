"""Mixed load for a set time (issue 9): browse, add to cart, check out by bank transfer and by card, webhooks.
See bench/README.md, "Faults".

    .venv/bin/python bench/mixed_load.py                 # 10 minutes, 6 shoppers
    .venv/bin/python bench/mixed_load.py --minutes 2     # a quick run

A fresh database `shop_mixed` (migrated; 30 products, 3 of them with only 25 units so they sell out under the load),
gunicorn (2 sync workers, the production settings bench/run.sh uses), localstripe (the fake Stripe the demo and
tests use, its webhook registered to the shop) and a Celery worker (its own queue; e-mail to files). Each shopper
thread (a new guest per flow) picks:

- 45% browse: product list (a random page) and a product page
- 25% bank transfer checkout: product page, add to cart, checkout, review, place, thanks page
- 20% card checkout: the same with card, then the card page (PaymentIntent on localstripe) and the card posted as
  Stripe.js would; one in five uses a declined card and then switches to bank transfer. localstripe sends its
  signed `payment_intent.*` webhooks to the shop.
- 10% webhooks: a signed `payment_intent.succeeded` of an intent the shop does not know, sent twice (the replay
  must find the stored event)

Afterwards (once the worker has delivered the outbox): no variant below zero and stock + units sold = initial stock;
every bank-transfer order has exactly one open Payment, every paid card order exactly one succeeded one, no order two;
each confirmation written once per order (outbox dedupe key) and e-mailed exactly once (the worker's mail files);
error rate under 0.1% (a request counts as an error when it gets no answer, a 5xx, or not the status the page
should give). Appends "Mixed load" to bench/RESULTS.md (--no-results: only print).

Members: --members of the shopper threads (default 2) are signed-in members, each its own account made before the
load (e-mail verified, the current policies accepted, 50,000 points to start with as a staff adjustment through the
loyalty service). Such a thread signs in once through allauth's login form and keeps its session; it empties its
cart before each checkout, and --redeem-share of its checkouts (default 30%) use 100 to 500 points on the review
page's discount form. The worker awards points on order_paid (rate x rank multiplier). Points checks afterwards
(bench/shopload.py, points_consistency): exactly one earn entry of the rule's amount (and one "points earned"
notice) per paid member order, every redemption exactly once and equal to the order's points, returned exactly
once if the order was cancelled, no ledger below zero, balance = sum of entries, no points for guests.
"""

import argparse
import email
import email.header
import hashlib
import hmac
import json
import random
import re
import shlex
import shutil
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import shopload  # noqa: E402

WEBHOOK_SECRET = "whsec_bench_mixed"  # noqa: S105 - a test value for localstripe
ERROR_RATE_TARGET = 0.001
QUEUE = "bench-mixed"
REDIS_DB = 12
STARTING_POINTS = 50_000
POINTS_CHOICES = (100, 200, 300, 500)


def signed_event(intent_id: str, event_id: str) -> tuple[bytes, str]:
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2017-08-15",
        "created": int(time.time()),
        "livemode": False,
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": intent_id, "object": "payment_intent", "amount": 1980, "currency": "jpy"}},
    }
    body = json.dumps(event).encode()
    timestamp = int(time.time())
    digest = hmac.new(WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={timestamp},v1={digest}"


def mail_messages(folder: Path) -> list:
    """Every e-mail the file backend wrote to the folder (one file per connection, messages split by a dashed line)."""
    messages = []
    if folder.exists():
        for path in sorted(folder.iterdir()):
            for part in path.read_text(errors="replace").split("-" * 79):
                if part.strip():
                    messages.append(email.message_from_string(part.strip()))
    return messages


def mail_counts(folder: Path) -> Counter:
    """Order numbers in the subjects of the confirmation e-mails the worker wrote (one file per connection)."""
    counts = Counter()
    if not folder.exists():
        return counts
    for path in folder.iterdir():
        for part in path.read_text(errors="replace").split("-" * 79):
            if not part.strip():
                continue
            message = email.message_from_string(part.strip())
            subject = str(email.header.make_header(email.header.decode_header(message.get("Subject", ""))))
            match = re.search(r"\d{6}-[0-9A-F]{6}", subject)
            if match:
                counts[(subject.split(match.group(0))[0], match.group(0))] += 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--members", type=int, default=2, help="how many of the shopper threads are signed-in members")
    parser.add_argument("--redeem-share", type=float, default=0.3, help="share of member checkouts that use points")
    parser.add_argument("--database", default="shop_mixed")
    parser.add_argument("--no-results", action="store_true", help="do not append to bench/RESULTS.md")
    args = parser.parse_args()
    command = shlex.join([".venv/bin/python", "bench/mixed_load.py", *sys.argv[1:]])

    stripe_port, port = shopload.free_port(), shopload.free_port()
    stripe_base = f"http://127.0.0.1:{stripe_port}"
    mail_dir = shopload.OUT / "mixed-mail"
    shutil.rmtree(mail_dir, ignore_errors=True)
    env = shopload.server_env(
        database=args.database,
        redis_db=REDIS_DB,
        queue=QUEUE,
        extra=shopload.stripe_mail_env(stripe_base, webhook_secret=WEBHOOK_SECRET, mail_dir=mail_dir),
    )
    print(f"== database {args.database} (fresh, migrated)")
    shopload.database_recreate(args.database, env)
    shopload.collectstatic(env)
    shopload.django_setup(env)
    initial = shopload.seed_products(count=30, stock=100_000, prefix="mixed", low_stock={0: 25, 1: 25, 2: 25})
    shipping = shopload.shipping_method_id()
    products = [(pk, info["slug"]) for pk, info in initial.items()]
    hot = products[:3]
    members = shopload.members_create(min(args.members, args.clients), points=STARTING_POINTS)

    recorder = shopload.Recorder()
    flows = Counter()
    lock = threading.Lock()
    stop_event = threading.Event()
    localstripe = worker = server = None
    machine = shopload.machine()
    started = time.monotonic()
    try:
        localstripe = shopload.start_localstripe(stripe_port, name="mixed_load")
        worker = shopload.start_worker(env, queue=QUEUE, name="mixed_load")
        server = shopload.gunicorn_start(env, port=port, log_name="mixed_load.gunicorn.log")
        shopload.localstripe_webhook(stripe_base, server.base_url, secret=WEBHOOK_SECRET)
        print(f"== gunicorn {server.base_url}, localstripe {stripe_base}; {args.clients} shoppers, {args.minutes} min")

        def count(outcome: str) -> None:
            with lock:
                flows[outcome] += 1

        def card_payment(shopper: shopload.Shopper, target: str, rng: random.Random) -> str:
            number = target.rstrip("/").rsplit("/", 1)[-1]
            if shopper.request("pay_page", "GET", f"/checkout/pay/{number}/") is None:
                return "card: failed"
            outcome, body = shopload.card_pay(
                shopper, stripe_base, number, declined=rng.random() < 0.2, record="localstripe: create card"
            )
            if outcome == "unexpected":
                return f"card: unexpected {body.get('status')}"
            return {"paid": "card: paid", "switched": "card: declined, then bank transfer"}.get(outcome, "card: failed")

        def checkout(shopper, rng, *, pk, slug, method, member) -> tuple[str, str]:
            """A member empties the cart a stopped flow may have left, and sometimes uses points."""
            points = 0
            if member:
                if not shopload.cart_empty(shopper):
                    return "failed", ""
                points = rng.choice(POINTS_CHOICES) if rng.random() < args.redeem_share else 0
            outcome, target = shopload.place_order(
                shopper, slug=slug, variant_id=pk, shipping_method=shipping, method=method, points=points
            )
            return (f"{outcome}, with points" if points and outcome == "placed" else outcome), target

        def shopper_loop(seed: int) -> None:
            rng = random.Random(seed)
            member = members[seed] if seed < len(members) else None
            shopper = None
            if member is not None:
                shopper = shopload.Shopper(server.base_url, recorder, timeout=30)
                if not shopload.sign_in(shopper, email=member[1], password=shopload.MEMBER_PASSWORD):
                    count("member: sign-in failed")
                    return
            who = "member " if member else ""
            while not stop_event.is_set():
                if member is None:
                    shopper = shopload.Shopper(server.base_url, recorder, timeout=30)
                pk, slug = rng.choice(hot) if rng.random() < 0.3 else rng.choice(products)
                roll = rng.random()
                if roll < 0.45:
                    page = rng.randint(1, 2)
                    shopper.request("list", "GET", "/products/" + (f"?page={page}" if page > 1 else ""))
                    shopper.request("product", "GET", f"/p/{slug}/")
                    count(f"{who}browse")
                elif roll < 0.70:
                    outcome, target = checkout(
                        shopper, rng, pk=pk, slug=slug, method="bank_transfer", member=member is not None
                    )
                    if outcome.startswith("placed"):
                        shopper.request("thanks", "GET", urllib.parse.urlparse(target).path)
                    count(f"{who}bank transfer: {outcome}")
                elif roll < 0.90:
                    outcome, target = checkout(shopper, rng, pk=pk, slug=slug, method="card", member=member is not None)
                    paid = card_payment(shopper, target, rng) if outcome.startswith("placed") else f"card: {outcome}"
                    count(f"{who}{paid}{', with points' if outcome.endswith('with points') else ''}")
                else:
                    body, signature = signed_event(f"pi_unknown_{uuid.uuid4().hex[:16]}", f"evt_{uuid.uuid4().hex}")
                    for action in ("webhook", "webhook_replay"):
                        shopper.request(
                            action,
                            "POST",
                            "/payments/webhooks/stripe/",
                            data=body,
                            headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
                        )
                    count("webhook pair")

        threads = [threading.Thread(target=shopper_loop, args=(i,), daemon=True) for i in range(args.clients)]
        load_start = time.monotonic()
        for thread in threads:
            thread.start()
        while time.monotonic() - load_start < args.minutes * 60:
            time.sleep(5)
            if server.process.poll() is not None:
                print("!! gunicorn exited")
                break
        stop_event.set()
        for thread in threads:
            thread.join(timeout=60)
        load_seconds = time.monotonic() - load_start

        # Let localstripe's webhooks and the worker finish, then the jobs beat would run catch up on anything left.
        from shop.notifications.models import Notification

        def drain(seconds: float) -> None:
            """Until the worker has run every queued task (points, deliveries) and the outbox is empty."""
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                queued = shopload.redis_queue_length(redis_url=env["REDIS_URL"], queue=QUEUE)
                if not queued and not Notification.objects.filter(status__in=["pending", "sending"]).exists():
                    return
                time.sleep(2)

        time.sleep(3)  # localstripe's last webhooks
        drain(120)
        from loyalty.services.catch_up import loyalty_catch_up
        from payments.emails import order_confirmations_catch_up

        caught_up = order_confirmations_catch_up()
        points_caught_up = loyalty_catch_up()
        drain(60)
        leftover = Notification.objects.filter(status__in=["pending", "sending"]).count()
    finally:
        stop_event.set()
        if server is not None:
            server.stop()
        shopload.process_stop(worker)
        shopload.process_stop(localstripe)
        shopload.redis_queue_delete(redis_db=REDIS_DB, queue=QUEUE)

    from django.db.models import Count

    from payments.models import WebhookEvent
    from shop.notifications.models import Notification
    from shop.orders.models import Order

    report = shopload.consistency(initial)
    shop_hits = [h for h in recorder.hits if not h.action.startswith("localstripe")]
    stripe_hits = [h for h in recorder.hits if h.action.startswith("localstripe")]
    errors = [h for h in shop_hits if not h.ok]
    error_rate = len(errors) / len(shop_hits) if shop_hits else 1.0
    overall = shopload.latency_summary(shop_hits)
    actions = sorted({h.action for h in shop_hits})
    mails = mail_counts(mail_dir)
    confirmation_mails = Counter()
    for (prefix, number), n in mails.items():
        confirmation_mails[number] += n if "ありがとう" in prefix or "Thank" in prefix else 0
    due_numbers = set(
        Order.objects.exclude(status=Order.Status.CANCELLED)
        .exclude(payment_method=Order.PaymentMethod.CARD, paid_at=None)
        .values_list("number", flat=True)
    )
    mail_problems = {
        "orders due a confirmation without its e-mail": sum(1 for n in due_numbers if confirmation_mails[n] == 0),
        "orders whose confirmation was e-mailed more than once": sum(1 for n in confirmation_mails.values() if n > 1),
        "confirmation e-mails for orders not due one": sum(
            1 for n, c in confirmation_mails.items() if c and n not in due_numbers
        ),
    }
    points = shopload.points_consistency(member_ids=[pk for pk, _ in members])
    problems = {**report["problems"], **mail_problems, **points["problems"]}
    webhook_results = Counter()
    for row in WebhookEvent.objects.values("type", "result").annotate(n=Count("id")):
        webhook_results[f"{row['type']} → {row['result'] or '(unprocessed)'}"] += row["n"]
    notification_status = Counter()
    for row in Notification.objects.values("kind", "status").annotate(n=Count("id")):
        notification_status[f"{row['kind']} {row['status']}"] = row["n"]
    checks = {
        "zero oversold units (no stock below 0, stock + sold = initial)": problems["variants with negative stock"] == 0
        and problems["variants where stock + sold != initial"] == 0,
        "zero lost or doubled payments (and no half-written order)": all(
            problems[k] == 0 for k in report["problems"] if "stock" not in k
        ),
        "zero lost or doubled confirmations (outbox and e-mail)": mail_problems[
            "orders due a confirmation without its e-mail"
        ]
        == 0
        and mail_problems["orders whose confirmation was e-mailed more than once"] == 0
        and mail_problems["confirmation e-mails for orders not due one"] == 0
        and report["confirmations due but not written"] == 0,
        "zero lost or doubled points (earned, used, returned; none for guests; no balance below zero)": all(
            v == 0 for v in points["problems"].values()
        )
        and (not members or points["paid member orders"] > 0),
        f"error rate under {ERROR_RATE_TARGET:.1%}": error_rate < ERROR_RATE_TARGET,
    }
    passed = all(checks.values())
    error_kinds = Counter(f"{h.action} {'no answer' if h.status == 0 else h.status} {h.note}".strip() for h in errors)

    lines = [
        "## Mixed load",
        "",
        f"`bench/mixed_load.py`, run on {machine['date']} (load average at start {' '.join(machine['loadavg'])}).",
        "",
        f"- Machine: `{machine['uname_a']}`, nproc {machine['nproc']}, PostgreSQL {machine['postgres']}; gunicorn,"
        " PostgreSQL, Redis, localstripe, the Celery worker and the shoppers all on this machine",
        f"- Command: `{command}` ({load_seconds / 60:.1f} minutes of load, {args.clients} shopper threads, no think"
        " time)",
        "- Server: `.venv/bin/gunicorn shop.wsgi -w 2` with the settings of bench/run.sh (bench.ceiling_settings ="
        " production, DEBUG=false, SECURE_SSL_REDIRECT=false, Redis cache), requests sent as through a TLS proxy"
        " (X-Forwarded-Proto: https, so CSRF checks the Referer); localstripe as Stripe, its webhook registered to the"
        " shop; `celery -A shop worker --pool=solo` on its own queue, e-mail to files",
        f"- Database `{args.database}` (fresh): 30 products of one variant, 27 with 100,000 units and 3 with 25"
        " (30% of the flows pick one of those 3, so they sell out)",
        "- Mix: 45% browse (list, product page), 25% bank-transfer checkout, 20% card checkout (a fifth declined,"
        " then switched to bank transfer), 10% a signed webhook of an unknown PaymentIntent sent twice",
        f"- Members: {len(members)} of the {args.clients} threads are signed-in members (own accounts, e-mail"
        f" verified, policies accepted, {STARTING_POINTS:,} starting points as a staff adjustment; signed in once"
        f" through allauth's login form); {args.redeem_share:.0%} of their checkouts use 100-500 points on the review"
        " page; the worker awards points on order_paid",
        "",
        f"Requests to the shop: {len(shop_hits)}, errors {len(errors)} ({error_rate:.3%}); latency p50"
        f" {overall['p50']:.0f} ms, p95 {overall['p95']:.0f} ms, p99 {overall['p99']:.0f} ms;"
        f" {len(shop_hits) / load_seconds:.1f} requests/s. Calls to localstripe as Stripe.js (not counted above):"
        f" {len(stripe_hits)}, failed {sum(1 for h in stripe_hits if not h.ok)}.",
        "",
        "| Request | Count | Errors | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for action in actions:
        group = [h for h in shop_hits if h.action == action]
        s = shopload.latency_summary(group)
        bad = sum(1 for h in group if not h.ok)
        lines.append(f"| {action} | {s['count']} | {bad} | {s['p50']:.0f} | {s['p95']:.0f} | {s['p99']:.0f} |")
    lines += [
        "",
        "Flows: " + ", ".join(f"{k} {v}" for k, v in sorted(flows.items())) + ".",
        "",
        "Errors: " + (", ".join(f"{k}: {v}" for k, v in error_kinds.most_common()) or "none") + ".",
        "",
        f"Database afterwards: {report['orders']} orders, {report['units sold']} units sold; "
        + ", ".join(f"{k}: {v}" for k, v in sorted(report["orders by status and method"].items()))
        + ". Webhook events stored: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(webhook_results.items()))
        + ". Outbox: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(notification_status.items()))
        + f" (confirmations written by the catch-up job afterwards: {caught_up}; still pending or sending: {leftover}).",
        "",
        f"Points: {points['member orders']} member orders, {points['paid member orders']} paid,"
        f" {points['orders that used points']} used points ({points['points used']:,} points),"
        f" {points['cancelled orders that used points']} of those cancelled; {points['points earned']:,} points earned;"
        " entries by kind: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(points["entries by kind"].items()))
        + ". Loyalty catch-up afterwards (`loyalty_catch_up`): "
        + ", ".join(f"{k} {v}" for k, v in points_caught_up.items())
        + ".",
        "",
        "| Check | Count |",
        "|---|---:|",
        *[f"| {name} | {value} |" for name, value in problems.items()],
        f"| confirmations due but not written to the outbox | {report['confirmations due but not written']} |",
        "",
        "Against the targets:",
        "",
        *[f"- {name}: {'met' if ok else 'NOT met'}" for name, ok in checks.items()],
        f"- Overall: {'PASS' if passed else 'FAIL'}",
    ]
    text = "\n".join(lines)
    print(text)
    shopload.dump(
        "mixed_load.json",
        {
            "flows": flows,
            "report": report,
            "points": points,
            "checks": checks,
            "errors": error_kinds,
            "seconds": time.monotonic() - started,
        },
    )
    if not args.no_results:
        shopload.append_results(text)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
