"""Fault: PostgreSQL restarted while guests check out (issue 9). See bench/README.md, "Faults".

    .venv/bin/python bench/fault_pg_restart.py            # 6 shoppers, restart after 8 s, 30 s more after recovery

A fresh database `shop_fault` (migrated, 8 products with ample stock) and gunicorn (2 sync workers, the production
settings bench/run.sh uses) on a free port; shopper threads loop product page → add to cart → checkout (Japanese
address, bank transfer) → review → place order, each as a new guest. After --before seconds the cluster is restarted
with `pg_ctlcluster --skip-systemctl-redirect 15 main restart` while /healthz is polled every 0.1 s; traffic goes on
for --after seconds once /healthz answers 200 again. Then the database is checked (bench/shopload.py, consistency).

Pass: /healthz 200 again within 10 s of the restart; every request started after that succeeds; no half-written
order (lines, totals, stock, the "Order placed" event, the bank-transfer reservation and Payment row); stock +
units sold = initial stock. Errors while the database is down are expected and counted by status.
Appends "Fault: PostgreSQL restart" to bench/RESULTS.md (--no-results: only print).
"""

import argparse
import random
import shlex
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import shopload  # noqa: E402

PG_VERSION, PG_CLUSTER = "15", "main"
RECOVERY_TARGET_S = 10.0


def pg_running() -> bool:
    return subprocess.run(["pg_ctlcluster", PG_VERSION, PG_CLUSTER, "status"], capture_output=True).returncode == 0


def pg_ensure_running() -> None:
    if not pg_running():
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, PG_CLUSTER, "start"], check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--before", type=float, default=8.0, help="seconds of traffic before the restart")
    parser.add_argument("--after", type=float, default=30.0, help="seconds of traffic after /healthz is 200 again")
    parser.add_argument("--database", default="shop_fault")
    parser.add_argument("--no-results", action="store_true", help="do not append to bench/RESULTS.md")
    args = parser.parse_args()
    command = shlex.join([".venv/bin/python", "bench/fault_pg_restart.py", *sys.argv[1:]])

    env = shopload.server_env(database=args.database, redis_db=12, queue="bench-fault-pg")
    print(f"== database {args.database} (fresh, migrated)")
    shopload.database_recreate(args.database, env)
    shopload.collectstatic(env)
    shopload.django_setup(env)
    initial = shopload.seed_products(count=8, stock=100_000, prefix="fault")
    shipping = shopload.shipping_method_id()
    constraint = shopload.db_constraint_exists("order_total_adds_up")
    products = [(pk, info["slug"]) for pk, info in initial.items()]

    recorder = shopload.Recorder()
    flows = Counter()
    flows_lock = threading.Lock()
    health: list[tuple[float, float, int]] = []  # (start, end, status)
    stop = threading.Event()
    server = None
    restart = {}
    machine = shopload.machine()
    try:
        server = shopload.gunicorn_start(env, port=shopload.free_port(), log_name="fault_pg_restart.gunicorn.log")
        print(f"== gunicorn on {server.base_url}; {args.clients} shoppers")

        def shopper_loop(seed: int) -> None:
            rng = random.Random(seed)
            while not stop.is_set():
                pk, slug = rng.choice(products)
                shopper = shopload.Shopper(server.base_url, recorder, timeout=20)
                outcome, _ = shopload.place_order(shopper, slug=slug, variant_id=pk, shipping_method=shipping)
                with flows_lock:
                    flows[outcome] += 1
                if outcome == "failed":
                    time.sleep(0.2)  # a shopper who saw an error page waits a moment before trying again

        def health_loop() -> None:
            while not stop.is_set():
                start = time.monotonic()
                status = shopload.healthz(server.base_url)
                health.append((start, time.monotonic(), status))
                time.sleep(0.1)

        threads = [threading.Thread(target=shopper_loop, args=(i,), daemon=True) for i in range(args.clients)]
        threads.append(threading.Thread(target=health_loop, daemon=True))
        for thread in threads:
            thread.start()
        time.sleep(args.before)

        print("== restarting PostgreSQL")
        restart_cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, PG_CLUSTER, "restart"]
        t0 = time.monotonic()
        done = subprocess.run(restart_cmd, capture_output=True, text=True)
        restart["command_s"] = time.monotonic() - t0
        restart["returncode"] = done.returncode
        restart["output"] = (done.stdout + done.stderr).strip()
        # Back: the first /healthz 200 after the restart began that follows a failed one (or, if the poller never
        # caught the outage, the first one started after the restart command returned).
        deadline = time.monotonic() + 60
        recovered_at = None
        while recovered_at is None and time.monotonic() < deadline:
            time.sleep(0.05)
            seen_failure = False
            for start, end, status in list(health):
                if start < t0:
                    continue
                if status != 200:
                    seen_failure = True
                elif seen_failure or start >= t0 + restart["command_s"]:
                    recovered_at = end
                    break
        restart["down_seen"] = any(s >= t0 and status != 200 for s, _, status in health)
        if recovered_at is None:
            print("!! /healthz did not answer 200 within 60 s")
        else:
            restart["recovery_s"] = recovered_at - t0
            print(f"== /healthz 200 again {restart['recovery_s']:.2f} s after the restart began")
            time.sleep(args.after)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        stop.set()
        pg_ensure_running()
        if server is not None:
            server.stop()

    hits = recorder.hits
    t_recovered = t0 + restart.get("recovery_s", float("inf"))
    windows = {
        "before the restart": [h for h in hits if h.start < t0],
        "restart until /healthz 200": [h for h in hits if t0 <= h.start < t_recovered],
        "after recovery": [h for h in hits if h.start >= t_recovered],
    }

    def by_status(group):
        counts = Counter("no answer" if h.status == 0 else str(h.status) for h in group)
        failed = sum(1 for h in group if not h.ok)
        return counts, failed

    report = shopload.consistency(initial)
    from payments.emails import order_confirmations_catch_up

    caught_up = order_confirmations_catch_up()
    after_catch_up = shopload.consistency(initial)["confirmations due but not written"]
    # No worker consumes this run's queue: drop the delivery tasks the orders queued.
    shopload.redis_queue_delete(redis_db=12, queue="bench-fault-pg")
    log_text = server.log_path.read_text(errors="replace") if server else ""

    recovery = restart.get("recovery_s")
    after_failed = by_status(windows["after recovery"])[1]
    problems = report["problems"]
    checks = {
        f"/healthz 200 again within {RECOVERY_TARGET_S:.0f} s of the restart": recovery is not None
        and recovery <= RECOVERY_TARGET_S,
        "every request started after recovery succeeded": recovery is not None
        and after_failed == 0
        and len(windows["after recovery"]) > 0,
        "no half-written or inconsistent order (every figure under Database is 0)": all(
            v == 0 for v in problems.values()
        ),
        "the CHECK constraint order_total_adds_up exists": constraint,
        "every confirmation due is written (after the catch-up job)": after_catch_up == 0,
    }
    passed = all(checks.values())

    lines = [
        "## Fault: PostgreSQL restart",
        "",
        f"`bench/fault_pg_restart.py`, run on {machine['date']} (load average at start {' '.join(machine['loadavg'])}).",
        "",
        f"- Machine: `{machine['uname_a']}`, nproc {machine['nproc']}, PostgreSQL {machine['postgres']}, on the same"
        " machine as gunicorn, Redis and the shoppers",
        f"- Command: `{command}`",
        f"- Server: `{' '.join(shlex.quote(str(c)).replace(str(shopload.ROOT) + '/', '') for c in server.command)}`"
        " with DJANGO_SETTINGS_MODULE=bench.ceiling_settings (production settings), DEBUG=false,"
        " SECURE_SSL_REDIRECT=false, persistent connections (DB_CONN_MAX_AGE 60, health checks on),"
        f" REDIS_URL=redis://127.0.0.1:6379/12, database `{args.database}` (fresh: migrated, 8 products of 100,000"
        " units each)",
        f"- Load: {args.clients} shopper threads (requests), each flow a new guest: product page, add to cart"
        " (CSRF form post), checkout details (Japanese address, bank transfer), review, place order;"
        f" restart after {args.before:.0f} s, traffic for {args.after:.0f} s after /healthz is 200 again",
        f"- Fault: `pg_ctlcluster --skip-systemctl-redirect {PG_VERSION} {PG_CLUSTER} restart` (fast shutdown; the"
        f" command took {restart.get('command_s', float('nan')):.2f} s, exit {restart.get('returncode')});"
        " /healthz polled every 0.1 s",
        "",
        "| Window | Requests | Failed | By status |",
        "|---|---:|---:|---|",
    ]
    for name, group in windows.items():
        counts, failed = by_status(group)
        text = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "-"
        lines.append(f"| {name} | {len(group)} | {failed} | {text} |")
    before = windows["before the restart"]
    in_flight = sum(1 for h in before if not h.ok and h.start + h.seconds >= t0)
    lines += [
        "",
        f"Of the {sum(1 for h in before if not h.ok)} failed requests started before the restart, {in_flight} were"
        " still being served when it began (their connection was terminated).",
        "",
        f"Checkout flows: {flows['placed']} placed, {flows['failed']} stopped by an error, {flows['sold_out']}"
        " sold out. /healthz: "
        + (f"200 again {recovery:.2f} s after the restart began" if recovery is not None else "never 200 again")
        + ("" if restart.get("down_seen") else " (the poller never saw it fail)")
        + ".",
        "",
        f"Database afterwards: {report['orders']} orders, {report['units sold']} units sold; "
        + ", ".join(f"{k}: {v}" for k, v in report["orders by status and method"].items())
        + ".",
        "",
        "| Database check | Count |",
        "|---|---:|",
        *[f"| {name} | {value} |" for name, value in problems.items()],
        f"| confirmations due but not written (before the catch-up job) | {report['confirmations due but not written']} |",
        f"| confirmations written by the catch-up job (`send_order_confirmations`) | {caught_up} |",
        f"| confirmations due but not written (after it) | {after_catch_up} |",
        "",
        "Against the targets:",
        "",
        *[f"- {name}: {'met' if ok else 'NOT met'}" for name, ok in checks.items()],
        f"- Overall: {'PASS' if passed else 'FAIL'}",
        "",
        f"Server log: {log_text.count('Traceback')} tracebacks in `bench/out/fault_pg_restart.gunicorn.log`"
        " (the database errors of the outage window).",
    ]
    text = "\n".join(lines)
    print(text)
    shopload.dump(
        "fault_pg_restart.json",
        {"restart": restart, "flows": flows, "report": report, "checks": checks, "hits": [h.__dict__ for h in hits]},
    )
    if not args.no_results:
        shopload.append_results(text)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
