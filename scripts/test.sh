#!/usr/bin/env bash
# Runs the whole test suite against PostgreSQL and Redis (defaults: 127.0.0.1:5432 as postgres, 127.0.0.1:6379).
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/shop}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/14}"
exec .venv/bin/python -m pytest "$@"
