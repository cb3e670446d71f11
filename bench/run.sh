#!/usr/bin/env bash
# Load benchmark of the catalogue pages under production settings (`make bench`); see bench/README.md.
# Env: PRODUCTS (10000), DURATION (15s), WARMUP (3s), WRK_THREADS (2), WRK_CONNECTIONS (8), PORT (8765),
# QUIET_WAIT (15: seconds to wait before each page for the machine to go idle).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=$ROOT/.venv
OUT=$ROOT/bench/out
export PRODUCTS=${PRODUCTS:-10000}
export DURATION=${DURATION:-15s}
export WARMUP=${WARMUP:-3s}
export WRK_THREADS=${WRK_THREADS:-2}
export WRK_CONNECTIONS=${WRK_CONNECTIONS:-8}
WORKERS=2
PORT=${PORT:-8765}
BASE_URL=http://127.0.0.1:$PORT

export DATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_bench
export REDIS_URL=redis://127.0.0.1:6379/13
export SECRET_KEY=bench-only-not-a-secret-5a1f0c
export DJANGO_SETTINGS_MODULE=shop.settings.production
export SECURE_SSL_REDIRECT=false
export DEBUG=false
export ALLOWED_HOSTS=127.0.0.1,localhost
export MEDIA_ROOT=$OUT/media
export BENCH_STATIC_ROOT=$OUT/static
export LOG_LEVEL=WARNING

mkdir -p "$OUT/wrk"
rm -f "$OUT"/wrk/* "$OUT/gunicorn.log"
cp /proc/loadavg "$OUT/loadavg-at-start"
date -u >"$OUT/started-at"

echo "== catalogue ($PRODUCTS products in shop_bench)"
"$VENV/bin/python" bench/load_catalog.py --products "$PRODUCTS"

# The server runs production settings plus the ceiling page's URL (bench/ceiling_settings.py).
export DJANGO_SETTINGS_MODULE=bench.ceiling_settings
echo "== collectstatic (manifest storage needs it under DEBUG=false)"
"$VENV/bin/python" manage.py collectstatic --noinput -v0

# Paths to measure: name, path, and a file of paths to rotate through (product pages).
psql "$DATABASE_URL" -Atc "SELECT '/p/' || slug || '/' FROM catalog_product WHERE is_active ORDER BY md5(slug) LIMIT 500" \
  >"$OUT/product_paths.txt"
CATEGORY=$(psql "$DATABASE_URL" -Atc "SELECT slug FROM catalog_category WHERE parent_id IS NULL ORDER BY position, name LIMIT 1")
SEARCH_WORD=リネン # in about one product name in nine (bench/load_catalog.py)
SEARCH_Q=$("$VENV/bin/python" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$SEARCH_WORD")
{
  printf 'ceiling\t/_bench/ceiling/\t\n'
  printf 'home\t/\t\n'
  printf 'list\t/products/\t\n'
  printf 'list_p50\t/products/?page=50\t\n'
  printf 'search\t/search/?q=%s\t\n' "$SEARCH_Q"
  printf 'category\t/c/%s/\t\n' "$CATEGORY"
  printf 'product\t%s\t%s\n' "$(head -n1 "$OUT/product_paths.txt")" "$OUT/product_paths.txt"
} >"$OUT/pages.tsv"

echo "== SQL queries per page (in-process, same settings)"
"$VENV/bin/python" bench/query_counts.py "$OUT/pages.tsv"

if curl -s -o /dev/null "$BASE_URL/"; then
  echo "something already listens on port $PORT; set PORT to a free one" >&2
  exit 1
fi
GUNICORN=("$VENV/bin/gunicorn" shop.wsgi -w "$WORKERS" --bind "127.0.0.1:$PORT" --error-logfile "$OUT/gunicorn.log" --capture-output)
echo "== ${GUNICORN[*]}"
"${GUNICORN[@]}" &
GUNICORN_PID=$!
stop_server() {
  kill -TERM "$GUNICORN_PID" 2>/dev/null || true
  wait "$GUNICORN_PID" 2>/dev/null || true
}
trap stop_server EXIT

for _ in $(seq 60); do
  curl -fsS -o /dev/null "$BASE_URL/healthz" 2>/dev/null && break
  sleep 0.5
done
if ! curl -fsS "$BASE_URL/healthz"; then
  tail -n 40 "$OUT/gunicorn.log" >&2
  exit 1
fi
echo

{
  echo "DJANGO_SETTINGS_MODULE=$DJANGO_SETTINGS_MODULE DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL" \
    "SECRET_KEY=<bench dummy> SECURE_SSL_REDIRECT=false DEBUG=false ALLOWED_HOSTS=$ALLOWED_HOSTS LOG_LEVEL=$LOG_LEVEL" \
    "MEDIA_ROOT=bench/out/media BENCH_STATIC_ROOT=bench/out/static"
  echo "${GUNICORN[*]#"$ROOT/"}"
} >"$OUT/commands.txt"

echo "== wrk, page by page"
"$VENV/bin/python" bench/measure.py "$OUT/pages.tsv" "$BASE_URL" "$GUNICORN_PID"

stop_server
trap - EXIT

"$VENV/bin/python" bench/report.py
if grep -q Traceback "$OUT/gunicorn.log"; then
  echo "gunicorn logged errors; see $OUT/gunicorn.log" >&2
fi
