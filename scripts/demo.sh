#!/usr/bin/env bash
# Starts the demo shop: SQLite (unless DATABASE_URL is set), tasks run inline (unless REDIS_URL is set), demo data,
# then Django's development server. Safe to run again: migrate and seed_demo only add what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
PORT="${PORT:-8000}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-shop.settings.dev}"
# Without DATABASE_URL (here or in .env) the settings use SQLite in ./db.sqlite3, created by migrate on first run.
echo "==> Database: ${DATABASE_URL:-SQLite (db.sqlite3)}" | sed -E 's#://[^@/]*@#://***@#'
"$PY" manage.py migrate --noinput

echo "==> Demo data (the first run draws the product pictures; later runs only fill in what is missing)"
"$PY" manage.py seed_demo
"$PY" manage.py seed_demo_social  # members, feed posts, likes, comments, follows and reviews
"$PY" manage.py seed_demo_loyalty  # coupons WELCOME500 / SHIPFREE, a share campaign, points for the demo shopper

# The dev settings serve static files from static/ through runserver; only other settings need collectstatic.
if [[ "$DJANGO_SETTINGS_MODULE" != "shop.settings.dev" ]]; then
  "$PY" manage.py collectstatic --noinput -v0
fi

# --- Payments: localstripe (a fake Stripe on this machine) so card checkout works with no internet. -------------
# Real keys in the environment (STRIPE_SECRET_KEY without STRIPE_API_BASE) skip this and use real Stripe.
if [[ -z "${STRIPE_SECRET_KEY:-}" || -n "${STRIPE_API_BASE:-}" ]]; then
  LS_PORT="${LOCALSTRIPE_PORT:-8420}"
  export STRIPE_API_BASE="http://127.0.0.1:${LS_PORT}"
  export STRIPE_JS_URL="${STRIPE_API_BASE}/js.stripe.com/v3/"
  export STRIPE_SECRET_KEY="${STRIPE_SECRET_KEY:-sk_test_demo}"
  export STRIPE_PUBLISHABLE_KEY="${STRIPE_PUBLISHABLE_KEY:-pk_test_demo}"
  export STRIPE_WEBHOOK_SECRET="${STRIPE_WEBHOOK_SECRET:-whsec_demo}"
  if ! curl -s -o /dev/null "${STRIPE_API_BASE}/js.stripe.com/v3/"; then
    echo "==> Starting localstripe on ${STRIPE_API_BASE}"
    "$PY" scripts/localstripe_server.py --port "$LS_PORT" > localstripe.log 2>&1 &
    LS_PID=$!
    trap 'kill $LS_PID 2>/dev/null' EXIT
    for _ in $(seq 50); do curl -s -o /dev/null "${STRIPE_API_BASE}/js.stripe.com/v3/" && break; sleep 0.2; done
  fi
  curl -s -o /dev/null -X POST "${STRIPE_API_BASE}/_config/webhooks/demo" \
    -d "url=http://127.0.0.1:${PORT}/payments/webhooks/stripe/" -d "secret=${STRIPE_WEBHOOK_SECRET}"
  echo "    Test cards: 4242424242424242 (succeeds), 4000000000000341 (declined), 4000002500003155 (3-D Secure)"
fi

cat <<MSG

==> Demo shop: http://127.0.0.1:${PORT}/        admin: http://127.0.0.1:${PORT}/admin/
    Shopper: shopper@example.jp / demo-shopper-pass
    Staff:   staff@example.jp / demo-staff-pass
             + a code from an authenticator app with the key TSUNAGUSHOPDEMOSTAFFTOTPKEY23456, or a backup code printed above
    Stop with Ctrl+C.

MSG
"$PY" manage.py runserver "127.0.0.1:${PORT}"
