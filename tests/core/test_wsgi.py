import os
import subprocess
import sys

from django.conf import settings


def test_loading_the_wsgi_application_freezes_what_it_made():
    """shop/wsgi.py moves what loading the project made out of the garbage collector's way (gc.freeze): a full
    collection had walked about 300,000 long-lived objects, a pause of over 100 ms for the requests in flight."""
    code = "import gc, shop.wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "shop.settings.test")}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=True
    )
    frozen, still_tracked = (int(number) for number in result.stdout.split()[-2:])
    assert frozen > 50_000
    assert still_tracked < frozen / 10
