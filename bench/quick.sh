#!/usr/bin/env bash
# A quick look at a few pages under the bench's settings: requests/s and the CPU that gunicorn and PostgreSQL spent
# per request, for comparing two settings or two commits on the same machine (run them alternately, several times).
#
#   bash bench/quick.sh /_bench/ceiling/ /products/ product         # product: 500 product pages in turn
#   MEMBER=1 DB_PREPARE_THRESHOLD=0 bash bench/quick.sh /products/   # signed in (not the ceiling); any shop setting from the env
#
# Env: SIZE (2000: the catalogue, loaded by bench/load_catalog.py if missing), DURATION (10s), PORT (8766), MEMBER.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=$ROOT/.venv
OUT=$ROOT/bench/out
STRIPE_BASE=http://127.0.0.1:8767
source "$ROOT/bench/env.sh"
SIZE=${SIZE:-2000}
PORT=${PORT:-8766}
DURATION=${DURATION:-10s}
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_bench_$SIZE
export BENCH_RUN_OUT=$OUT/quick-$SIZE
mkdir -p "$BENCH_RUN_OUT"

"$VENV/bin/python" bench/load_catalog.py --products "$SIZE" >/dev/null
"$VENV/bin/python" manage.py collectstatic --noinput -v0
"$VENV/bin/python" -c "import django; django.setup(); from social.perks.selectors import rules_refresh; rules_refresh()"
psql "$DATABASE_URL" -Atc "SELECT '/p/' || slug || '/' FROM catalog_product WHERE is_active ORDER BY md5(slug) LIMIT 500" \
  >"$BENCH_RUN_OUT/product_paths.txt"

"$VENV/bin/gunicorn" shop.wsgi -w 2 --bind "127.0.0.1:$PORT" --error-logfile "$BENCH_RUN_OUT/gunicorn.log" &
GUNICORN_PID=$!
trap 'kill -TERM $GUNICORN_PID 2>/dev/null; wait $GUNICORN_PID 2>/dev/null' EXIT
for _ in $(seq 60); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break; sleep 0.5; done

# A member's Cookie header as bench/run.sh makes it (bench/clients.py): the session and the csrftoken cookie a
# browser would send back. The ceiling is asked without it, as in bench/run.sh.
MEMBER_COOKIE=
if [ -n "${MEMBER:-}" ]; then
  MEMBER_COOKIE=$("$VENV/bin/python" -c 'import sys, django; django.setup()
from bench.clients import member_cookie; print(member_cookie(sys.argv[1]))' "http://127.0.0.1:$PORT")
fi

ticks() { # CPU ticks (user + system) of these processes
  local sum=0 pid
  for pid in "$@"; do [ -r "/proc/$pid/stat" ] && sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done
  echo "$sum"
}
HZ=$(getconf CLK_TCK)
echo "page | req/s | p50 | p99 | gunicorn ms/req | PostgreSQL ms/req | non-2xx/3xx"
for path in "$@"; do
  unset BENCH_PATHS
  export BENCH_COOKIE=$MEMBER_COOKIE
  [[ "$path" == /_bench/* ]] && BENCH_COOKIE=
  if [ "$path" = product ]; then
    export BENCH_PATHS=$BENCH_RUN_OUT/product_paths.txt
    path=$(head -n1 "$BENCH_PATHS")
  fi
  url=http://127.0.0.1:$PORT$path
  wrk -t2 -c8 -d2s -s bench/wrk/report.lua "$url" >/dev/null
  psql "$DATABASE_URL" -qc ANALYZE  # autovacuum's statistics, with what the warm-up wrote (bench/measure.py)
  workers=$(pgrep -P "$GUNICORN_PID" | tr '\n' ' ')
  backends=$(pgrep -f "postgres: .* shop_bench_$SIZE " | tr '\n' ' ' || true)
  g0=$(ticks $workers) p0=$(ticks $backends)
  report=$(wrk -t2 -c8 -d"$DURATION" --latency -s bench/wrk/report.lua "$url")
  g1=$(ticks $workers) p1=$(ticks $backends)
  requests=$(awk '/requests in/ {print $1}' <<<"$report")
  awk -v path="$path${BENCH_PATHS:+ …}" -v g=$((g1 - g0)) -v p=$((p1 - p0)) -v n="$requests" -v hz="$HZ" '
    /Requests\/sec/ {rps = $2} / 50%/ {p50 = $2} / 99%/ {p99 = $2} /Non-2xx/ {bad = $NF}
    END {printf "%s | %s | %s | %s | %.2f | %.2f | %d\n", path, rps, p50, p99, g * 1000 / hz / n, p * 1000 / hz / n, bad}
  ' <<<"$report"
done
