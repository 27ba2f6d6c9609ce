"""The API's rate limits: per caller (token or session) and per address, in the
``throttle`` cache (Redis, shared by every server, with ``REDIS_URL``; each
server's memory without it). A request over a limit gets 429 and Retry-After."""

from typing import Any

from django.conf import settings
from django.core.cache import caches
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken


class _Throttle(SimpleRateThrottle):
    setting = ""

    @property
    def cache(self) -> Any:  # type: ignore[override]
        return caches["throttle"]

    def get_rate(self) -> str | None:
        return getattr(settings, self.setting) or None


class PerCallerThrottle(_Throttle):
    """Each token (or signed-in person) on its own: ``API_RATE_PER_TOKEN``."""

    scope = "caller"
    setting = "API_RATE_PER_TOKEN"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class PerAddressThrottle(_Throttle):
    """Each client address, whoever it says it is: ``API_RATE_PER_ADDRESS``."""

    scope = "address"
    setting = "API_RATE_PER_ADDRESS"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
