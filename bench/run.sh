#!/usr/bin/env bash
# Load benchmark of the shop under production settings (`make bench`); see bench/README.md.
# Env: SIZES ("2000 10000": catalogue sizes, one database each), DURATION (10s: per page, taken in SLICES (5) runs
# in turns with the ceiling's, bench/measure.py), WARMUP (2s), WRK_THREADS (2),
# WRK_CONNECTIONS (8), QUIET_WAIT (5: seconds to wait before each run for the machine to go idle), PORT (8765),
# STRIPE_PORT (8767: localstripe), CHECKOUT_CLIENTS (4), WEBHOOK_CONNECTIONS (4).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=$ROOT/.venv
OUT=$ROOT/bench/out
export SIZES=${SIZES:-2000 10000}
export DURATION=${DURATION:-10s}
export SLICES=${SLICES:-5}
export WARMUP=${WARMUP:-2s}
export WRK_THREADS=${WRK_THREADS:-2}
export WRK_CONNECTIONS=${WRK_CONNECTIONS:-8}
export QUIET_WAIT=${QUIET_WAIT:-5}
WORKERS=2
PORT=${PORT:-8765}
STRIPE_PORT=${STRIPE_PORT:-8767}
BASE_URL=http://127.0.0.1:$PORT
STRIPE_BASE=http://127.0.0.1:$STRIPE_PORT

# The shop's environment under the bench (production settings, Redis database 13, localstripe as Stripe).
source "$ROOT/bench/env.sh"
# The matrix is measured without the page cache for first-time visitors; a second gunicorn run turns it on for the
# visitor pages it serves (names ending in .cached), reported beside the uncached figures.
export CACHE_SECONDS=${CACHE_SECONDS:-15}

for port in "$PORT" "$STRIPE_PORT"; do
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "something already listens on port $port; set PORT / STRIPE_PORT to a free one" >&2
    exit 1
  fi
done

mkdir -p "$OUT"
rm -rf "$OUT"/size-* "$OUT/localstripe-bench"
cp /proc/loadavg "$OUT/loadavg-at-start"
date -u >"$OUT/started-at"
: >"$OUT/commands.txt"

GUNICORN_PID=
LOCALSTRIPE_PID=
stop_all() {
  [ -n "$GUNICORN_PID" ] && { kill -TERM "$GUNICORN_PID" 2>/dev/null || true; wait "$GUNICORN_PID" 2>/dev/null || true; }
  [ -n "$LOCALSTRIPE_PID" ] && { kill -TERM "$LOCALSTRIPE_PID" 2>/dev/null || true; wait "$LOCALSTRIPE_PID" 2>/dev/null || true; }
  redis-cli -u "$REDIS_URL" DEL "$CELERY_TASK_DEFAULT_QUEUE" "_kombu.binding.$CELERY_TASK_DEFAULT_QUEUE" >/dev/null || true
}
trap stop_all EXIT

echo "== localstripe on $STRIPE_BASE"
mkdir -p "$OUT/localstripe-bench"
TMPDIR=$OUT/localstripe-bench "$VENV/bin/python" scripts/localstripe_server.py --port "$STRIPE_PORT" \
  >"$OUT/localstripe.log" 2>&1 &
LOCALSTRIPE_PID=$!

echo "== collectstatic (manifest storage needs it under DEBUG=false)"
DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres "$VENV/bin/python" manage.py collectstatic --noinput -v0

{
  echo "DJANGO_SETTINGS_MODULE=$DJANGO_SETTINGS_MODULE DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_bench_<size>" \
    "REDIS_URL=$REDIS_URL SECRET_KEY=<bench dummy> SECURE_SSL_REDIRECT=false DEBUG=false ALLOWED_HOSTS=$ALLOWED_HOSTS" \
    "LOG_LEVEL=$LOG_LEVEL MEDIA_ROOT=bench/out/media BENCH_STATIC_ROOT=bench/out/static" \
    "STRIPE_API_BASE=$STRIPE_BASE STRIPE_SECRET_KEY=sk_test_bench STRIPE_WEBHOOK_SECRET=whsec_bench_catalogue"
  echo ".venv/bin/python bench/service_spread.py bench/out/size-<size>/pages.tsv   # one request at a time, before gunicorn starts"
  echo ".venv/bin/python scripts/localstripe_server.py --port $STRIPE_PORT"
  echo ".venv/bin/gunicorn shop.wsgi -w $WORKERS --bind 127.0.0.1:$PORT --error-logfile bench/out/size-<size>/gunicorn.log --capture-output"
} >"$OUT/commands.txt"

# The page runs of one catalogue size: name, path, a file of paths to rotate through, who asks ("" or "member").
write_pages() {
  local run_out=$1 category search_q
  psql "$DATABASE_URL" -Atc "SELECT '/p/' || slug || '/' FROM catalog_product WHERE is_active ORDER BY md5(slug) LIMIT 500" \
    >"$run_out/product_paths.txt"
  psql "$DATABASE_URL" -Atc "SELECT '/s/' || code || '/' FROM shares_sharelink WHERE code LIKE 'b%' ORDER BY code" \
    >"$run_out/share_paths.txt"
  category=$(psql "$DATABASE_URL" -Atc "SELECT slug FROM catalog_category WHERE parent_id IS NULL ORDER BY position, name LIMIT 1")
  # リネン: in about one product name in nine (bench/load_catalog.py)
  search_q=$("$VENV/bin/python" -c 'import urllib.parse; print(urllib.parse.quote("リネン"))')
  printf 'ceiling\t/_bench/ceiling/\t\t\n'
  for who in "" member; do
    local suffix=${who:+.$who}
    printf 'home%s\t/\t\t%s\n' "$suffix" "$who"
    printf 'list%s\t/products/\t\t%s\n' "$suffix" "$who"
    printf 'list_p50%s\t/products/?page=50\t\t%s\n' "$suffix" "$who"
    printf 'search%s\t/search/?q=%s\t\t%s\n' "$suffix" "$search_q" "$who"
    printf 'category%s\t/c/%s/\t\t%s\n' "$suffix" "$category" "$who"
    printf 'product%s\t%s\t%s\t%s\n' "$suffix" "$(head -n1 "$run_out/product_paths.txt")" "$run_out/product_paths.txt" "$who"
    printf 'feed%s\t/feed/\t\t%s\n' "$suffix" "$who"
    printf 'share%s\t%s\t%s\t%s\n' "$suffix" "$(head -n1 "$run_out/share_paths.txt")" "$run_out/share_paths.txt" "$who"
  done
}

# The pages a first-time visitor (no cookie) may get from the page cache, for the run with it turned on.
# product_one: the same product page again and again, as when a shared link brings many people to one product.
write_cached_pages() {
  grep -P '^(home|list|list_p50|search|category|product)\t' "$1/pages.tsv" | sed -E 's/^([a-z_0-9]+)\t/\1.cached\t/'
  printf 'product_one.cached\t%s\t\t\n' "$(head -n1 "$1/product_paths.txt")"
}

start_gunicorn() {
  "${GUNICORN[@]}" &
  GUNICORN_PID=$!
  for _ in $(seq 60); do
    curl -fsS -o /dev/null "$BASE_URL/healthz" 2>/dev/null && break
    sleep 0.5
  done
  if ! curl -fsS -o /dev/null "$BASE_URL/healthz"; then
    tail -n 40 "$BENCH_RUN_OUT/gunicorn.log" >&2
    exit 1
  fi
}

stop_gunicorn() {
  kill -TERM "$GUNICORN_PID" 2>/dev/null || true
  wait "$GUNICORN_PID" 2>/dev/null || true
  GUNICORN_PID=
}

for SIZE in $SIZES; do
  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_bench_$SIZE
  export BENCH_RUN_OUT=$OUT/size-$SIZE
  mkdir -p "$BENCH_RUN_OUT/wrk"
  echo "== catalogue ($SIZE products in shop_bench_$SIZE)"
  "$VENV/bin/python" bench/load_catalog.py --products "$SIZE"
  # The cache must not carry pages or ids from the other catalogue size.
  redis-cli -u "$REDIS_URL" FLUSHDB >/dev/null
  # The members-only sale rules live in the cache, kept there by the worker's refresh task (social.perks); the bench
  # runs no worker, so they are put there as the task would. Without them every page asked Redis twice in vain.
  "$VENV/bin/python" -c "import django; django.setup(); from social.perks.selectors import rules_refresh; rules_refresh()"
  write_pages "$BENCH_RUN_OUT" >"$BENCH_RUN_OUT/pages.tsv"
  rm -f "$BENCH_RUN_OUT/pages_cached.tsv"

  echo "== SQL queries per page (in-process, same settings)"
  "$VENV/bin/python" bench/query_counts.py "$BENCH_RUN_OUT/pages.tsv"
  echo "== one request at a time (in-process, same settings)"
  "$VENV/bin/python" bench/service_spread.py "$BENCH_RUN_OUT/pages.tsv"

  GUNICORN=("$VENV/bin/gunicorn" shop.wsgi -w "$WORKERS" --bind "127.0.0.1:$PORT" --error-logfile "$BENCH_RUN_OUT/gunicorn.log" --capture-output)
  echo "== ${GUNICORN[*]#"$ROOT/"}"
  start_gunicorn

  "$VENV/bin/python" bench/clients.py "$BASE_URL"
  echo "== wrk, page by page"
  "$VENV/bin/python" bench/measure.py "$BENCH_RUN_OUT/pages.tsv" "$BASE_URL" "$GUNICORN_PID"
  echo "== add to cart"
  "$VENV/bin/python" bench/bench_cart.py "$BASE_URL" "$GUNICORN_PID"
  echo "== checkout by card"
  "$VENV/bin/python" bench/bench_checkout.py "$BASE_URL" "$STRIPE_BASE" "$GUNICORN_PID"
  echo "== webhooks"
  "$VENV/bin/python" bench/bench_webhook.py "$BASE_URL" "$GUNICORN_PID"

  stop_gunicorn

  echo "== wrk, first-time visitors' pages with the page cache on (SHOP_VISITOR_PAGE_CACHE_SECONDS=$CACHE_SECONDS)"
  write_cached_pages "$BENCH_RUN_OUT" >"$BENCH_RUN_OUT/pages_cached.tsv"
  echo "# gunicorn restarted with SHOP_VISITOR_PAGE_CACHE_SECONDS=$CACHE_SECONDS for the .cached pages:" >>"$BENCH_RUN_OUT/commands.txt"
  SHOP_VISITOR_PAGE_CACHE_SECONDS=$CACHE_SECONDS start_gunicorn
  "$VENV/bin/python" bench/measure.py "$BENCH_RUN_OUT/pages_cached.tsv" "$BASE_URL" "$GUNICORN_PID"
  stop_gunicorn
  if grep -q Traceback "$BENCH_RUN_OUT/gunicorn.log"; then
    echo "gunicorn logged errors; see $BENCH_RUN_OUT/gunicorn.log" >&2
  fi
done

"$VENV/bin/python" bench/report.py
