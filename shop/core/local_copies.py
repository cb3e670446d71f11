"""Values every page reads that change rarely (the category tree, the filter facets, the perk rules), with a copy
kept in each process for LOCAL_SECONDS in front of the cache.

Reading them from Redis cost a page about 1.5 ms (a round trip and unpickling each), more than the page's own
queries; a process serving pages now reads each from Redis at most once a second. The process that makes a change
forgets its copy at once (`local_forget`, called where the cache key is deleted or rewritten); the other processes
show the change within LOCAL_SECONDS.
"""

import time

from django.core.cache import cache

LOCAL_SECONDS = 1.0
_LOCAL_MAX_KEYS = 256
_local: dict[str, tuple[float, object]] = {}


def local_get(key: str, load=None, timeout: int | None = None):
    """The value of `key`: this process's copy if younger than LOCAL_SECONDS, else the cache's, else `load()`
    (written to the cache for `timeout` seconds). A None from the cache is a miss, so `load` must not return None;
    without `load` a miss returns None and nothing is kept."""
    now = time.monotonic()
    copy = _local.get(key)
    if copy is not None and copy[0] > now:
        return copy[1]
    value = cache.get(key)
    if value is None:
        if load is None:
            return None
        value = load()
        cache.set(key, value, timeout)
    if len(_local) >= _LOCAL_MAX_KEYS:
        _local.clear()
    _local[key] = (now + LOCAL_SECONDS, value)
    return value


def local_forget(key: str | None = None) -> None:
    """Drop this process's copy of `key` (of every key when None), so its next read goes to the cache."""
    if key is None:
        _local.clear()
    else:
        _local.pop(key, None)
