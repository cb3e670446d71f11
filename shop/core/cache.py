"""The cache backend: Django's Redis cache, but a Redis that is down or unreachable is a cache miss, not an error.

The cache only ever holds what can be recomputed (facets, navigation, counters, rate-limit histories), so while
Redis is away every page still works from the database: reads miss, writes are dropped, and each failure is
logged. Two kinds of call keep a safe answer rather than an optimistic one:

- `add` answers False ("not added"): code that uses it as a lock or a "used once" marker (allauth's rate-limit lock,
  its one-time-code check) then refuses rather than letting the same thing through twice;
- `incr` / `decr` raise ValueError, Django's answer for a missing counter, which callers already handle.

Short socket timeouts keep a Redis that hangs (rather than refusing connections) from holding a request for long.
"""

import logging
from functools import wraps

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
# Passed to redis-py's connection pool unless the settings' OPTIONS give their own.
DEFAULT_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}


def _degrade(answer):
    """Wraps a cache method: when Redis is unavailable, log it and return `answer(*args, **kwargs)` instead."""

    def decorate(method):
        @wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except UNAVAILABLE as error:
                logger.warning("Cache unavailable (%s %s): %s", method.__name__, type(error).__name__, error)
                return answer(*args, **kwargs)

        return wrapper

    return decorate


def _default_of_get(key, default=None, version=None):
    return default


def _not_counted(*args, **kwargs):
    raise ValueError("The cache is unavailable, so the counter does not exist")


def _returns(value):
    return lambda *args, **kwargs: value


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client makes a new redis.Redis per cache call, and each copies redis-py's table of ~170 response
    callbacks (about 0.3 ms, several times a page). A redis.Redis is safe to share between threads (connections come
    from the pool), so one is kept per connection pool."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    """django.core.cache.backends.redis.RedisCache that degrades to a cache miss while Redis is down."""

    def __init__(self, server, params):
        params = {**params, "OPTIONS": {**DEFAULT_OPTIONS, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    get = _degrade(_default_of_get)(RedisCache.get)
    get_many = _degrade(_returns({}))(RedisCache.get_many)
    has_key = _degrade(_returns(False))(RedisCache.has_key)
    add = _degrade(_returns(False))(RedisCache.add)
    set = _degrade(_returns(None))(RedisCache.set)
    set_many = _degrade(lambda data, *args, **kwargs: list(data))(RedisCache.set_many)
    touch = _degrade(_returns(False))(RedisCache.touch)
    delete = _degrade(_returns(False))(RedisCache.delete)
    delete_many = _degrade(_returns(None))(RedisCache.delete_many)
    clear = _degrade(_returns(False))(RedisCache.clear)
    incr = _degrade(_not_counted)(RedisCache.incr)
    decr = _degrade(_not_counted)(RedisCache.decr)
