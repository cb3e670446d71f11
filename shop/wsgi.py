import gc
import os
from importlib import import_module

from django.conf import settings
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
