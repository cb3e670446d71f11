"""Stripe webhooks under load: signed `payment_intent.succeeded` events POSTed by wrk (run by bench/run.sh).

    python bench/bench_webhook.py http://127.0.0.1:8765 <gunicorn master pid>

Each event is distinct (its own event id) and names the PaymentIntent of a real card order, those the checkout run
(bench/bench_checkout.py) paid on localstripe, taken in turn; so the shop does all a real delivery costs: checks the
signature, stores the event by id, locks the order's payment, asks localstripe for the intent's state, and finds
the payment already succeeded (as when Stripe's webhook arrives after the browser's confirmation). Without any card
order (checkout failed) the events name unknown intents, which the shop stores and answers "unknown payment".

The events are signed with STRIPE_WEBHOOK_SECRET just before the warm-up (Stripe's signatures are valid for 300 s):
one file for the warm-up and one for the measured run, WEBHOOK_EVENTS_PER_S (400) times the duration each, so no
event is sent twice. `wrk -t4 -c4` (WEBHOOK_CONNECTIONS): four deliveries at a time. Afterwards the events stored
for the run are counted by result. Writes <out>/wrk/webhook.{txt,json}.
"""

import hashlib
import hmac
import json
import os
import sys
import time
import uuid
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import clients, measure  # noqa: E402
from bench.bench_checkout import seconds  # noqa: E402

CONNECTIONS = os.environ.get("WEBHOOK_CONNECTIONS", "4")
EVENTS_PER_S = int(os.environ.get("WEBHOOK_EVENTS_PER_S", "400"))


def card_intents(limit: int = 500) -> list[dict]:
    """The PaymentIntents of paid card orders that this run's localstripe knows (a database kept from an earlier run
    also holds intents of a localstripe that is gone, which the shop would rightly answer 503 for): id, amount and
    payment id, newest first."""
    from payments.models import Payment

    rows = (
        Payment.objects.filter(method="card", status=Payment.Status.SUCCEEDED)
        .exclude(stripe_payment_intent=None)
        .order_by("-id")
        .values("id", "stripe_payment_intent", "amount")[:limit]
    )
    intents = [{"id": r["stripe_payment_intent"], "amount": r["amount"], "payment": r["id"]} for r in rows]
    return [intent for intent in intents if _known_to_stripe(intent["id"])]


def _known_to_stripe(intent_id: str) -> bool:
    base, key = os.environ["STRIPE_API_BASE"].rstrip("/"), os.environ["STRIPE_SECRET_KEY"]
    try:
        return requests.get(f"{base}/v1/payment_intents/{intent_id}", auth=(key, ""), timeout=5).status_code == 200
    except requests.RequestException:
        return False


def signed_line(secret: str, event_id: str, intent: dict) -> str:
    """'<Stripe-Signature>\\t<body>' for one payment_intent.succeeded event, signed now."""
    now = int(time.time())
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2017-08-15",
        "created": now,
        "livemode": False,
        "type": "payment_intent.succeeded",
        "data": {
            "object": {
                "id": intent["id"],
                "object": "payment_intent",
                "amount": intent["amount"],
                "currency": "jpy",
                "status": "succeeded",
                "metadata": {"payment_id": str(intent["payment"])},
            }
        },
    }
    body = json.dumps(event)
    digest = hmac.new(secret.encode(), f"{now}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={now},v1={digest}\t{body}\n"


def events_file(name: str, prefix: str, count: int, intents: list[dict]) -> Path:
    secret = os.environ["STRIPE_WEBHOOK_SECRET"]
    path = measure.OUT / f"webhook_events.{name}.txt"
    path.write_text("".join(signed_line(secret, f"{prefix}{n:06d}", intents[n % len(intents)]) for n in range(count)))
    return path


def results_of(prefix: str) -> dict:
    from django.db.models import Count

    from payments.models import WebhookEvent

    rows = WebhookEvent.objects.filter(event_id__startswith=prefix).values("result").annotate(n=Count("id"))
    return {row["result"] or "(unprocessed)": row["n"] for row in rows}


def main() -> None:
    base_url, master = sys.argv[1], int(sys.argv[2])
    clients.django_setup()
    conf = measure.settings()
    intents = card_intents()
    kind = "paid card orders' PaymentIntents"
    if not intents:
        intents = [{"id": f"pi_bench_unknown_{n}", "amount": 1980, "payment": 0} for n in range(100)]
        kind = "unknown PaymentIntents (no card order to name)"
    run = uuid.uuid4().hex[:8]
    warm_count = int(EVENTS_PER_S * seconds(conf["warmup"])) + 100
    count = int(EVENTS_PER_S * seconds(conf["duration"])) + 100
    warm_file = events_file("warmup", f"evt_bench_{run}_w", warm_count, intents)
    run_file = events_file("run", f"evt_bench_{run}_r", count, intents)
    env = {"BENCH_BODIES": str(run_file), "BENCH_THREADS": CONNECTIONS}
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as db:
        result = measure.measure(
            "webhook",
            base_url + "/payments/webhooks/stripe/",
            master=master,
            db=db,
            script="bench/wrk/webhook.lua",
            env=env,
            warmup_env={**env, "BENCH_BODIES": str(warm_file)},
            threads=CONNECTIONS,
            connections=CONNECTIONS,
        )
    stored = results_of(f"evt_bench_{run}_r")
    measure.record(
        "webhook", result, http_status=200, events=count, intents=len(intents), intent_kind=kind, stored=stored
    )
    print(f"webhook          events stored by result: {stored} ({len(intents)} {kind})")


if __name__ == "__main__":
    main()
