import os
import subprocess
import sys

from django.conf import settings


def run_python(code: str) -> list[str]:
    """What a new Python process printed running `code` (with the test settings), split into words."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "shop.settings.test")}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.split()


def test_loading_the_wsgi_application_freezes_what_it_made():
    """shop/wsgi.py moves what loading the project made out of the garbage collector's way (gc.freeze): a full
    collection had walked about 300,000 long-lived objects, a pause of over 100 ms for the requests in flight."""
    code = "import gc, shop.wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    frozen, still_tracked = (int(number) for number in run_python(code)[-2:])
    assert frozen > 50_000
    assert still_tracked < frozen / 10


def test_the_last_requests_reference_cycles_are_collected_when_the_next_request_starts():
    """shop/wsgi.py collects the young generations on request_started, and raises the threshold so that a page's
    cycles are not collected (and moved to older generations, alive) in the middle of the request."""
    code = """
import gc, weakref
import shop.wsgi
from django.core.signals import request_started

class Node:
    pass

first = None
for _ in range(600):  # 1,200 tracked objects (each node and its __dict__): fewer than the threshold
    node = Node()
    node.me = node
    first = first or weakref.ref(node)
del node
alive_before = first() is not None
request_started.send(sender=None, environ={})
print(gc.get_threshold()[0], alive_before, first() is None)
"""
    assert run_python(code)[-3:] == ["2000", "True", "True"]


def test_every_thousandth_request_collects_the_oldest_generation_too():
    """What outlives requests (caches, per-process copies replaced every second) reaches the oldest generation,
    which the young collections leave alone: a full collection every FULL_EVERY requests frees its garbage."""
    code = """
import gc, weakref
import shop.wsgi
from django.core.signals import request_started

class Node:
    pass

node = Node()
node.me = node
old = weakref.ref(node)
gc.collect()  # the node is alive: moved to the oldest generation
del node  # garbage now, in a cycle
seen = []
for _ in range(shop.wsgi.FULL_EVERY):
    request_started.send(sender=None, environ={})
    seen.append(old() is None)
print(shop.wsgi.FULL_EVERY, seen.index(True) + 1, all(seen[seen.index(True):]))
"""
    assert run_python(code)[-3:] == ["1000", "1000", "True"]
