"""Django's Redis cache, falling back to a per-process memory cache while Redis
cannot be reached.

The cache holds allauth's rate limits, which take a lock in the cache before
counting. A cache that raises turns a login into a server error; one that
ignores errors (django-redis's ``IGNORE_EXCEPTIONS``) makes that lock fail, and
allauth then answers every login with "too many attempts". Falling back to
memory keeps logins working and still limited, per app server, until Redis is
back; each failure is logged (at most once a minute per process).
"""

import logging
import time
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
OPERATIONS = (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
)


class FallbackRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._fallback = LocMemCache(f"fallback-{server}", {"TIMEOUT": params.get("TIMEOUT", 300)})
        self._last_warning = 0.0

    def _failed(self, operation: str, error: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning > 60:
            self._last_warning = now
            logger.warning("Redis cache unavailable (%s: %s); using this process's memory", operation, error)


def _guarded(name: str) -> Any:
    def call(self: FallbackRedisCache, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(RedisCache, name)(self, *args, **kwargs)
        except (RedisError, OSError) as error:
            self._failed(name, error)
            return getattr(self._fallback, name)(*args, **kwargs)

    call.__name__ = name
    return call


for _name in OPERATIONS:
    setattr(FallbackRedisCache, _name, _guarded(_name))
