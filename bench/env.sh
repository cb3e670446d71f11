# The environment the benchmark serves the shop with; sourced by bench/run.sh and bench/ab.sh.
# Needs ROOT (the project), OUT (bench/out) and STRIPE_BASE (localstripe's URL) set before.
# Redis database 13 is the bench server's (cache and Celery broker, on a queue of its own that nobody consumes).
export REDIS_URL=redis://127.0.0.1:6379/13
export CELERY_TASK_DEFAULT_QUEUE=bench-run
export SECRET_KEY=bench-only-not-a-secret-5a1f0c-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
export DJANGO_SETTINGS_MODULE=bench.ceiling_settings
export SECURE_SSL_REDIRECT=false
export DEBUG=false
export ALLOWED_HOSTS=127.0.0.1,localhost
export MEDIA_ROOT=$OUT/media
export BENCH_STATIC_ROOT=$OUT/static
export LOG_LEVEL=WARNING
# No page cache for first-time visitors (run.sh turns it on for its .cached pages).
export SHOP_VISITOR_PAGE_CACHE_SECONDS=0
# Stripe is localstripe (test tooling, see /work/shared/OFFLINE-TESTING.md); the webhook secret signs the events.
export STRIPE_SECRET_KEY=sk_test_bench
export STRIPE_PUBLISHABLE_KEY=pk_test_bench
export STRIPE_WEBHOOK_SECRET=whsec_bench_catalogue
export STRIPE_API_BASE=$STRIPE_BASE
export STRIPE_JS_URL=$STRIPE_BASE/js.stripe.com/v3/
