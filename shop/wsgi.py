import gc
import itertools
import os
from importlib import import_module

from django.conf import settings
from django.core.signals import request_started
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings.production")
application = get_wsgi_application()

# What loading the project made (modules, the URLconf and the views it imports, settings, translations: about 300,000
# objects) lives as long as the worker. Frozen, Python's garbage collector no longer walks it: a full collection of a
# worker took about 140 ms, which every request in flight on that worker waited out (the slowest 1% of requests), and
# with the frozen objects left out it takes a few milliseconds. See gc.freeze().
import_module(settings.ROOT_URLCONF)
gc.collect()
gc.freeze()

# Garbage is collected between requests, not in the middle of them. A feed page leaves about 800 objects in reference
# cycles (posts, their photos and tagged products point at each other, as Django's prefetch leaves them; the request
# object is one), which only the collector frees. With Python's default threshold (a collection of the youngest
# objects every 700 more made than freed) the collector ran in the middle of requests, found that request's objects
# alive and moved them to older generations, where they died and piled up until a full collection: one every hundred
# feed pages, 8-15 ms each (up to 40 ms), the slowest 1% of the feed's requests. Now the young generations are
# collected when the next request starts (request_started comes before Django makes the request object), when the
# last request's objects are all garbage, so they never reach the oldest generation; the threshold is high enough
# that a page seldom sets off a collection of its own. What does reach it (caches, the per-process copies replaced
# every second) is collected in full every FULL_EVERY requests.
YOUNG_THRESHOLD = 2000
FULL_EVERY = 1000
_started = itertools.count(1)


def collect_garbage(**kwargs) -> None:
    gc.collect(2 if next(_started) % FULL_EVERY == 0 else 1)


gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])
request_started.connect(collect_garbage, dispatch_uid="shop.wsgi.collect_garbage")
