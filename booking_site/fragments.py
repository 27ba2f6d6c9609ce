"""Rendered page fragments, shared by every app server and valid until the data changes.

Every save or delete of a tracked model moves the *generation* on. A fragment is
stored together with the generation it was rendered at and is served only while
that generation is still current, so a hit costs one cache round trip: the
generation and the fragment are read with one ``get_many``.

With the database cache the new generation is written inside the transaction
that changes the data, so it becomes visible exactly when the data does. Other
caches (Redis) are not transactional, so the generation moves again on commit: a
page rendered from the old rows in between is stored under a generation that is
already gone.

Fragments also vary by language, time zone and the current minute (they show
"free now", the now line and past slots), and by person where they show
per-person things.
"""

import hashlib
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

GENERATION_KEY = "fragments:generation"
QUIET_FIELDS = frozenset({"last_login", "last_used_at"})


def _cache() -> BaseCache:
    return caches["fragments"]


def _bump() -> None:
    _cache().set(GENERATION_KEY, secrets.token_hex(8), None)


def data_changed() -> None:
    """Invalidate every stored fragment; for writes that send no signals (``update()``, bulk inserts)."""
    _bump()
    if not isinstance(_cache(), DatabaseCache):
        transaction.on_commit(_bump)


def _changed(sender: type[Model], **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    update_fields = kwargs.get("update_fields")
    if update_fields and frozenset(update_fields) <= QUIET_FIELDS:
        return
    data_changed()


def track(*models: type[Model]) -> None:
    """Invalidate fragments whenever one of ``models`` is saved or deleted."""
    for model in models:
        uid = f"fragments:{model._meta.label}"
        post_save.connect(_changed, sender=model, dispatch_uid=uid, weak=False)
        post_delete.connect(_changed, sender=model, dispatch_uid=uid, weak=False)


def _current_generation(stored: str | None) -> str:
    if stored is not None:
        return stored
    _cache().add(GENERATION_KEY, secrets.token_hex(8), None)
    return _cache().get(GENERATION_KEY) or ""


def cached_fragment(
    request: HttpRequest,
    name: str,
    render: Callable[[], str],
    *,
    per_user: bool = False,
    vary: Iterable[Any] = (),
) -> SafeString:
    """``render()``, or its stored result for the same page, query string,
    language, time zone and minute (and person, with ``per_user``)."""
    seconds = settings.FRAGMENT_CACHE_SECONDS
    if seconds <= 0:
        return mark_safe(render())
    user = request.user
    parts = [
        name,
        translation.get_language(),
        timezone.get_current_timezone_name(),
        timezone.now().strftime("%Y%m%d%H%M"),
        sorted(request.GET.lists()),
        (user.pk, user.is_staff) if per_user else None,
        *vary,
    ]
    key = "fragment:" + hashlib.sha256(repr(parts).encode()).hexdigest()
    cache = _cache()
    values = cache.get_many([GENERATION_KEY, key])
    generation = _current_generation(values.get(GENERATION_KEY))
    stored = values.get(key)
    if stored is not None and stored[0] == generation:
        return mark_safe(stored[1])
    html = render()
    cache.set(key, (generation, str(html)), seconds)
    return mark_safe(html)


class FragmentMixin:
    """A page whose main part, ``fragment_template``, is rendered from
    ``get_fragment_context()`` only when no current copy is stored."""

    request: HttpRequest
    fragment_template: str
    fragment_per_user = False

    def get_fragment_context(self) -> dict[str, Any]:
        raise NotImplementedError

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        context["fragment"] = cached_fragment(
            self.request,
            self.fragment_template,
            lambda: render_to_string(self.fragment_template, self.get_fragment_context(), request=self.request),
            per_user=self.fragment_per_user,
            vary=[self.request.path],
        )
        return context
