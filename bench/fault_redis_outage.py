"""Fault: Redis stopped for 30 s while shoppers browse and pay (issue 9). See bench/README.md, "Faults".

    .venv/bin/python bench/fault_redis_outage.py          # 6 shoppers (2 members); Redis down after 20 s for 30 s

A fresh database `shop_redisfault` (migrated; 12 products with ample stock, 2 members with a starting balance), a
redis-server of this run's own on a free port (never the shared one at 6379; no persistence, so what it held is
lost when it stops, as with a Redis that is replaced), gunicorn (2 sync workers, the production settings
bench/run.sh uses) with REDIS_URL pointing at it (cache and Celery broker), a Celery worker on its own queue (e-mail
to files) and localstripe as Stripe (its signed webhooks go to the shop). Shopper threads, guests and signed-in
members, loop: 40% browse (list, product page), 30% bank-transfer checkout, 30% card checkout (a fifth declined,
then switched to bank transfer); a third of the members' checkouts use points. After --before seconds the
redis-server is stopped (SIGTERM) for --outage seconds, started again on the same port, and traffic goes on for
--after seconds. Then the worker drains its queue and the catch-up jobs beat would run are run as commands
(`send_order_confirmations`, `loyalty_catch_up`, `tally_attribution`, `tally_share_rewards`,
`send_pending_notifications`), twice: the second round must find nothing.

Pass: no 5xx (and no request left without an answer) on any page during the whole run; every checkout either
completes or ends on a page that says clearly why not (counted by window: before, during, after the outage);
afterwards every due notification is sent exactly once (each outbox row once, one e-mail per row, one confirmation
per due order), every paid member order's points exactly once (bench/shopload.py, points_consistency), and no
oversold stock or half-written order (shopload.consistency). /healthz is polled too (503 while Redis is down is
its job) but is not a page. Appends "Fault: Redis outage" to bench/RESULTS.md (--no-results: only print).
"""

import argparse
import contextlib
import random
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import mixed_load, shopload  # noqa: E402

QUEUE = "bench-redisfault"
WEBHOOK_SECRET = mixed_load.WEBHOOK_SECRET
STARTING_POINTS = 50_000
CATCH_UP_COMMANDS = (
    "send_order_confirmations",
    "loyalty_catch_up",
    "tally_attribution",
    "tally_share_rewards",
    "send_pending_notifications",
)
CARD_UNAVAILABLE = "card_unavailable"
CARD_OUTCOMES = {  # shopload.card_pay's outcomes as the flows count them ("unexpected" is told apart below)
    "paid": "completed: card paid",
    "switched": "completed: declined, then bank transfer",
    "stripe_js": "failed: localstripe",
    "card_confirm": "failed: card confirm",
    "switch_method": "failed: switch method",
}


class ThrowawayRedis:
    """A redis-server of this run's own on a free port, without persistence; stop() and start() keep the port."""

    def __init__(self):
        self.port = shopload.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def up(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
            return True
        return False

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not self.up():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM (redis-server shuts down cleanly) and wait until the port is closed."""
        shopload.process_stop(self.process, timeout=10)
        self.process = None
        deadline = time.monotonic() + 10
        while self.up() and time.monotonic() < deadline:
            time.sleep(0.05)


class Timeline:
    """When the outage began and ended (time.monotonic()); a time falls in one of three windows."""

    WINDOWS = ("before the outage", "Redis down", "after Redis is back")

    def __init__(self):
        self.stopped_at = float("inf")
        self.back_at = float("inf")

    def window(self, at: float) -> str:
        if at < self.stopped_at:
            return self.WINDOWS[0]
        return self.WINDOWS[1] if at < self.back_at else self.WINDOWS[2]


def manage(env: dict, command: str) -> str:
    """Runs a management command with the shop's environment; returns what it printed."""
    done = subprocess.run(
        [str(shopload.VENV_BIN / "python"), "manage.py", command],
        cwd=shopload.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return (done.stdout.strip() or done.stderr.strip()[-300:]) + ("" if done.returncode == 0 else " (FAILED)")


def card_payment(shopper: shopload.Shopper, stripe_base: str, number: str, rng: random.Random) -> str:
    """The card page, the card created on localstripe as Stripe.js would, the confirm call; a declined card
    switches to bank transfer. Returns "completed: …", "told: …" (the shop said clearly it cannot) or "failed: …"."""
    page = shopper.request("pay_page", "GET", f"/checkout/pay/{number}/")
    if page is None:
        return "failed: card page"
    if CARD_UNAVAILABLE in page.text or "Card payment is not available" in page.text:
        return "told: card payment unavailable"
    outcome, body = shopload.card_pay(shopper, stripe_base, number, declined=rng.random() < 0.2)
    if outcome in CARD_OUTCOMES:
        return CARD_OUTCOMES[outcome]
    if body.get("status") == "failed" and body.get("message"):
        return "told: " + body["message"][:60]
    return f"failed: card {body.get('status')}"


def checkout_flow(shopper, rng, *, stripe_base, product, shipping, member: bool) -> str:
    """One checkout by bank transfer or card; for a member, the cart emptied first and sometimes points used."""
    pk, slug = product
    if member and not shopload.cart_empty(shopper):
        return "failed: cart"
    method = "card" if rng.random() < 0.5 else "bank_transfer"
    points = rng.choice((100, 300)) if member and rng.random() < 0.33 else 0
    outcome, target = shopload.place_order(
        shopper, slug=slug, variant_id=pk, shipping_method=shipping, method=method, points=points
    )
    if outcome == "sold_out":
        return "told: sold out"
    if outcome != "placed":
        return f"failed: {method} checkout"
    number = target.rstrip("/").rsplit("/", 1)[-1]
    if method == "card":
        return card_payment(shopper, stripe_base, number, rng)
    thanks = shopper.request("thanks", "GET", f"/checkout/thanks/{number}/")
    return "completed: bank transfer" if thanks is not None else "failed: thanks page"


def drain(redis_url: str, seconds: float) -> bool:
    """Until the worker has taken every task from the queue and the outbox has nothing being sent or due now."""
    from django.utils import timezone

    from shop.notifications.models import Notification

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            queued = shopload.redis_queue_length(redis_url=redis_url, queue=QUEUE)
        except Exception:  # noqa: BLE001 - Redis not back yet: keep waiting
            queued = 1
        busy = Notification.objects.filter(status="sending").exists() or (
            Notification.objects.filter(status="pending", next_attempt_at__lte=timezone.now()).exists()
        )
        if not queued and not busy:
            return True
        time.sleep(2)
    return False


def notification_report(mail_dir: Path) -> dict:
    """Outbox rows by kind and status, and whether each e-mail row was sent exactly once (as one e-mail)."""
    from django.db.models import Count

    from shop.notifications.models import Notification

    rows = Notification.objects.filter(channel="email")
    messages = mixed_load.mail_messages(mail_dir)
    by_status = Counter()
    for row in Notification.objects.values("kind", "status").annotate(n=Count("id")):
        by_status[f"{row['kind']} {row['status']}"] = row["n"]
    sent = rows.filter(status="sent").count()
    return {
        "by kind and status": by_status,
        "e-mails written": len(messages),
        "problems": {
            "outbox rows not sent (pending, sending or failed)": rows.exclude(status__in=["sent", "skipped"]).count(),
            "e-mails written minus outbox e-mail rows sent (lost or doubled e-mails)": len(messages) - sent,
        },
    }


def main() -> int:  # noqa: PLR0915 - one run, read top to bottom
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--members", type=int, default=2, help="how many of the shopper threads are members")
    parser.add_argument("--before", type=float, default=20.0, help="seconds of traffic before Redis is stopped")
    parser.add_argument("--outage", type=float, default=30.0, help="seconds Redis stays stopped")
    parser.add_argument("--after", type=float, default=30.0, help="seconds of traffic after Redis is back")
    parser.add_argument("--database", default="shop_redisfault")
    parser.add_argument("--no-results", action="store_true", help="do not append to bench/RESULTS.md")
    args = parser.parse_args()
    command = shlex.join([".venv/bin/python", "bench/fault_redis_outage.py", *sys.argv[1:]])

    redis_server = ThrowawayRedis()
    stripe_port, port = shopload.free_port(), shopload.free_port()
    stripe_base = f"http://127.0.0.1:{stripe_port}"
    mail_dir = shopload.OUT / "redisfault-mail"
    shutil.rmtree(mail_dir, ignore_errors=True)
    env = shopload.server_env(
        database=args.database,
        redis_db=0,
        queue=QUEUE,
        extra={
            "REDIS_URL": redis_server.url,
            "CELERY_BROKER_URL": redis_server.url,
            **shopload.stripe_mail_env(stripe_base, webhook_secret=WEBHOOK_SECRET, mail_dir=mail_dir),
        },
    )
    print(f"== database {args.database} (fresh, migrated); redis-server of this run on port {redis_server.port}")
    redis_server.start()
    shopload.database_recreate(args.database, env)
    shopload.collectstatic(env)
    shopload.django_setup(env)
    initial = shopload.seed_products(count=12, stock=100_000, prefix="redisfault")
    shipping = shopload.shipping_method_id()
    products = [(pk, info["slug"]) for pk, info in initial.items()]
    members = shopload.members_create(min(args.members, args.clients), points=STARTING_POINTS)

    recorder = shopload.Recorder()
    timeline = Timeline()
    flows: Counter = Counter()  # (window, outcome)
    health: list[tuple[float, int]] = []
    lock = threading.Lock()
    stop_event = threading.Event()
    localstripe = server = None
    workers: list[subprocess.Popen] = []  # the worker, and each one started again after it exited
    worker_exits: list[tuple[str, int]] = []  # (window, exit code)
    machine = shopload.machine()
    outage = {}
    try:
        localstripe = shopload.start_localstripe(stripe_port, name="fault_redis_outage")
        workers.append(shopload.start_worker(env, queue=QUEUE, name="fault_redis_outage"))
        server = shopload.gunicorn_start(env, port=port, log_name="fault_redis_outage.gunicorn.log")
        shopload.localstripe_webhook(stripe_base, server.base_url, secret=WEBHOOK_SECRET)
        print(f"== gunicorn {server.base_url}, localstripe {stripe_base}; {args.clients} shoppers")

        def shopper_loop(seed: int) -> None:
            rng = random.Random(seed)
            member = members[seed] if seed < len(members) else None
            shopper = None
            if member is not None:
                shopper = shopload.Shopper(server.base_url, recorder, timeout=30)
                if not shopload.sign_in(shopper, email=member[1], password=shopload.MEMBER_PASSWORD):
                    with lock:
                        flows[(timeline.window(time.monotonic()), "failed: member sign-in")] += 1
                    return
            while not stop_event.is_set():
                if member is None:
                    shopper = shopload.Shopper(server.base_url, recorder, timeout=30)
                product = rng.choice(products)
                started = time.monotonic()
                if rng.random() < 0.4:
                    shopper.request("list", "GET", "/products/")
                    shopper.request("product", "GET", f"/p/{product[1]}/")
                    outcome = "browse"
                else:
                    outcome = checkout_flow(
                        shopper, rng, stripe_base=stripe_base, product=product, shipping=shipping, member=bool(member)
                    )
                with lock:
                    flows[(timeline.window(started), ("member " if member else "guest ") + outcome)] += 1
                if outcome.startswith("failed"):
                    time.sleep(0.2)

        def supervise_worker() -> None:
            """Start the worker again when it exits, as systemd (Restart=always) would; each exit is reported."""
            if workers[-1].poll() is not None:
                worker_exits.append((timeline.window(time.monotonic()), workers[-1].returncode))
                workers.append(shopload.start_worker(env, queue=QUEUE, name=f"fault_redis_outage.{len(workers)}"))

        def health_loop() -> None:
            while not stop_event.is_set():
                supervise_worker()
                start = time.monotonic()
                health.append((start, shopload.healthz(server.base_url)))
                time.sleep(0.5)

        threads = [threading.Thread(target=shopper_loop, args=(i,), daemon=True) for i in range(args.clients)]
        threads.append(threading.Thread(target=health_loop, daemon=True))
        for thread in threads:
            thread.start()
        time.sleep(args.before)

        print(f"== stopping redis-server (port {redis_server.port}) for {args.outage:.0f} s")
        timeline.stopped_at = time.monotonic()
        redis_server.stop()
        outage["stop_s"] = time.monotonic() - timeline.stopped_at
        time.sleep(max(0.0, args.outage - outage["stop_s"]))
        print("== starting redis-server again on the same port")
        redis_server.start()
        timeline.back_at = time.monotonic()
        outage["down_s"] = timeline.back_at - timeline.stopped_at
        time.sleep(args.after)
        stop_event.set()
        for thread in threads:
            thread.join(timeout=60)

        time.sleep(3)  # localstripe's last webhooks
        supervise_worker()
        outage["drained_before_catch_up"] = drain(redis_server.url, 120)
        catch_up = [{name: manage(env, name) for name in CATCH_UP_COMMANDS} for _round in range(2)]
        outage["drained_after_catch_up"] = drain(redis_server.url, 120)
    finally:
        stop_event.set()
        if server is not None:
            server.stop()
        for worker in workers:
            shopload.process_stop(worker)
        shopload.process_stop(localstripe)
        redis_server.stop()

    report = shopload.consistency(initial)
    points = shopload.points_consistency(member_ids=[pk for pk, _ in members])
    notifications = notification_report(mail_dir)
    log_text = server.log_path.read_text(errors="replace") if server else ""
    pages = [h for h in recorder.hits if not h.action.startswith("localstripe")]
    windows = {name: [h for h in pages if timeline.window(h.start) == name] for name in Timeline.WINDOWS}
    server_errors = [h for h in pages if h.status >= 500 or h.status == 0]
    checkout_flows = {key: n for key, n in flows.items() if not key[1].endswith("browse")}
    failed_flows = sum(
        n for (_w, outcome), n in checkout_flows.items() if outcome.split(" ", 1)[1].startswith("failed")
    )
    problems = {**report["problems"], **points["problems"], **notifications["problems"]}
    checks = {
        "no 5xx and no request without an answer on any page, whole run": not server_errors,
        "every checkout completed or said clearly why not (no checkout stopped by an error)": failed_flows == 0,
        "checkouts completed while Redis was down": any(
            w == Timeline.WINDOWS[1] and o.split(" ", 1)[1].startswith("completed") for (w, o) in checkout_flows
        ),
        "every due notification sent exactly once after Redis returned and the catch-up jobs ran": all(
            v == 0 for v in notifications["problems"].values()
        )
        and report["confirmations due but not written"] == 0,
        "every paid member order's points exactly once (and the points checks of the mixed load)": all(
            v == 0 for v in points["problems"].values()
        )
        and (not members or points["paid member orders"] > 0),
        "no oversold stock or half-written order (every figure under Database is 0)": all(
            v == 0 for v in report["problems"].values()
        ),
        "the second round of catch-up jobs found nothing to do": _second_round_idle(catch_up[1]),
    }
    passed = all(checks.values())
    text = results_text(
        worker_exits=worker_exits,
        args=args,
        command=command,
        machine=machine,
        server=server,
        redis_server=redis_server,
        outage=outage,
        windows=windows,
        flows=flows,
        timeline=timeline,
        health=health,
        report=report,
        points=points,
        notifications=notifications,
        problems=problems,
        catch_up=catch_up,
        checks=checks,
        passed=passed,
        log_text=log_text,
    )
    print(text)
    shopload.dump(
        "fault_redis_outage.json",
        {
            "outage": outage,
            "flows": {f"{w} | {o}": n for (w, o), n in flows.items()},
            "report": report,
            "points": points,
            "notifications": notifications,
            "catch_up": catch_up,
            "checks": checks,
            "worker_exits": worker_exits,
            "hits": [h.__dict__ for h in recorder.hits],
        },
    )
    if not args.no_results:
        shopload.append_results(text)
    return 0 if passed else 1


def _second_round_idle(outputs: dict) -> bool:
    """Each command's second run reports nothing done (its figures all 0, or "nothing due")."""
    import re

    for output in outputs.values():
        if "FAILED" in output:
            return False
        if "nothing due" in output:
            continue
        if any(int(n) for n in re.findall(r"(?<![\w-])(\d+)(?![\w-])", output)):
            return False
    return True


def results_text(**r) -> str:  # noqa: PLR0913 - the figures of one run
    args, timeline = r["args"], r["timeline"]
    machine, outage = r["machine"], r["outage"]

    def statuses(group):
        counts = Counter("no answer" if h.status == 0 else str(h.status) for h in group)
        return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "-"

    lines = [
        "## Fault: Redis outage",
        "",
        f"`bench/fault_redis_outage.py`, run on {machine['date']} (load average at start"
        f" {' '.join(machine['loadavg'])}).",
        "",
        f"- Machine: `{machine['uname_a']}`, nproc {machine['nproc']}, PostgreSQL {machine['postgres']}; gunicorn,"
        " PostgreSQL, the run's redis-server, localstripe, the Celery worker and the shoppers all on this machine",
        f"- Command: `{r['command']}`",
        "- Server: `.venv/bin/gunicorn shop.wsgi -w 2` with the settings of bench/run.sh (bench.ceiling_settings ="
        f" production, DEBUG=false), REDIS_URL = CELERY_BROKER_URL = `{r['redis_server'].url}` (a redis-server of"
        " this run's own, no persistence: the shared Redis at 6379 is never touched); `celery -A shop worker"
        " --pool=solo` on its own queue, e-mail to files; localstripe as Stripe, its webhooks sent to the shop",
        f"- Database `{args.database}` (fresh): 12 products of 100,000 units; {args.members} members (e-mail"
        f" verified, policies accepted, {STARTING_POINTS:,} starting points), signed in once through the login form",
        f"- Load: {args.clients} shopper threads ({args.members} members, the rest a new guest per flow), no think"
        " time: 40% browse (list, product page), 60% checkout, half by bank transfer and half by card (a fifth of"
        " the cards declined, then switched to bank transfer); a third of the members' checkouts use points",
        f"- Fault: after {args.before:.0f} s the redis-server is stopped (SIGTERM; it was gone after"
        f" {outage.get('stop_s', float('nan')):.2f} s), started again on the same port"
        f" {outage.get('down_s', float('nan')):.1f} s after the stop began; traffic for {args.after:.0f} s more",
        "",
        "| Window | Requests | 5xx or no answer | Other failed | By status |",
        "|---|---:|---:|---:|---|",
    ]
    for name, group in r["windows"].items():
        errors = sum(1 for h in group if h.status >= 500 or h.status == 0)
        other = sum(1 for h in group if not h.ok and not (h.status >= 500 or h.status == 0))
        lines.append(f"| {name} | {len(group)} | {errors} | {other} | {statuses(group)} |")
    lines += ["", "| Window | Flow | Count |", "|---|---|---:|"]
    for (window, outcome), n in sorted(
        r["flows"].items(), key=lambda item: (Timeline.WINDOWS.index(item[0][0]), item[0][1])
    ):
        lines.append(f"| {window} | {outcome} | {n} |")
    health_by_window = Counter((timeline.window(start), status) for start, status in r["health"])
    lines += [
        "",
        "`/healthz` (not a page; 503 while Redis is down is what it is for): "
        + "; ".join(
            f"{name}: "
            + ", ".join(f"{s or 'no answer'} × {n}" for (w, s), n in sorted(health_by_window.items()) if w == name)
            for name in Timeline.WINDOWS
        )
        + ".",
        "",
        "Catch-up jobs after Redis returned (`manage.py …`, first round / second round):",
        "",
        "| Command | First round | Second round |",
        "|---|---|---|",
        *[
            f"| `{name}` | {r['catch_up'][0][name].replace(chr(10), '; ')} | {r['catch_up'][1][name].replace(chr(10), '; ')} |"
            for name in CATCH_UP_COMMANDS
        ],
        "",
        f"Worker queue drained before the catch-up: {'yes' if outage.get('drained_before_catch_up') else 'no'};"
        f" after it: {'yes' if outage.get('drained_after_catch_up') else 'no'}. The Celery worker exited"
        f" {len(r['worker_exits'])} time(s) and was started again by the script as a supervisor would"
        + (
            " (" + ", ".join(f"{w}: exit {code}" for w, code in r["worker_exits"]) + "; see"
            " `bench/out/fault_redis_outage.worker.log`)"
            if r["worker_exits"]
            else ""
        )
        + ".",
        "",
        f"Database afterwards: {r['report']['orders']} orders, {r['report']['units sold']} units sold; "
        + ", ".join(f"{k}: {v}" for k, v in sorted(r["report"]["orders by status and method"].items()))
        + ". Outbox: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(r["notifications"]["by kind and status"].items()))
        + f"; {r['notifications']['e-mails written']} e-mails written. Points:"
        f" {r['points']['paid member orders']} paid member orders, {r['points']['points earned']:,} points earned,"
        f" {r['points']['orders that used points']} orders used {r['points']['points used']:,} points.",
        "",
        "| Check | Count |",
        "|---|---:|",
        *[f"| {name} | {value} |" for name, value in r["problems"].items()],
        f"| confirmations due but not written to the outbox | {r['report']['confirmations due but not written']} |",
        "",
        "Against the targets:",
        "",
        *[f"- {name}: {'met' if ok else 'NOT met'}" for name, ok in r["checks"].items()],
        f"- Overall: {'PASS' if r['passed'] else 'FAIL'}",
        "",
        f"Server log: {r['log_text'].count('Traceback')} tracebacks, {r['log_text'].count('Cache unavailable')}"
        " 'Cache unavailable' warnings in `bench/out/fault_redis_outage.gunicorn.log`.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
