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

# The dev settings serve static files from static/ through runserver; only other settings need collectstatic.
if [[ "$DJANGO_SETTINGS_MODULE" != "shop.settings.dev" ]]; then
  "$PY" manage.py collectstatic --noinput -v0
fi

# --- Payments: localstripe (fake Stripe) is started here, before the web server. --------------------------------

cat <<MSG

==> Demo shop: http://127.0.0.1:${PORT}/        admin: http://127.0.0.1:${PORT}/admin/
    Shopper: shopper@example.jp / demo-shopper-pass
    Staff:   staff@example.jp / demo-staff-pass
    Stop with Ctrl+C.

MSG
exec "$PY" manage.py runserver "127.0.0.1:${PORT}"
