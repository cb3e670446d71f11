"""Production settings plus the ceiling page (`/_bench/ceiling/`); the bench serves every page with these.

Only URLs, template folders and the static files folder differ from shop.settings.production, so the shop pages
run exactly as they would in production.
"""

from shop.settings.production import *  # noqa: F403
from shop.settings.production import BASE_DIR, TEMPLATES, env

ROOT_URLCONF = "bench.ceiling.urls"
TEMPLATES = [
    {**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "ceiling" / "templates"]},
    *TEMPLATES[1:],
]
# collectstatic writes here, away from the staticfiles/ folder other tools use.
STATIC_ROOT = env.path("BENCH_STATIC_ROOT", default=BASE_DIR / "bench" / "out" / "static")
