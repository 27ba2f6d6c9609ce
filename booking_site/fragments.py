"""Rendered page fragments, shared by every app server and valid until the data changes.

Every save or delete of a tracked model moves the *generation* on: one UPDATE of
``rooms.FragmentGeneration``, inside the transaction that changes the data, so it
becomes visible exactly when the data does. A fragment is stored in the
``fragments`` cache together with the generation it was rendered at and is served
only while that generation is still current. The generation is read before the
page's data, so a fragment rendered from rows that were already outdated carries
a generation that is outdated too. A writer holds that row from its change to its
commit; the services take it after their own row locks (the event row, the
booking row), so it adds no lock-order cycle.

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
from django.db.models import F, Model
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from rooms.models import FragmentGeneration

QUIET_FIELDS = frozenset({"last_login", "last_used_at"})


def _cache() -> BaseCache:
    return caches["fragments"]


def data_changed() -> None:
    """Invalidate every stored fragment; for writes that send no signals (``update()``, bulk inserts)."""
    if not FragmentGeneration.objects.filter(pk=1).update(value=F("value") + 1):
        FragmentGeneration.objects.get_or_create(pk=1, defaults={"value": secrets.randbits(62)})


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


def generation() -> int | None:
    return FragmentGeneration.objects.filter(pk=1).values_list("value", flat=True).first()


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
    current = generation()
    stored = _cache().get(key)
    if stored is not None and stored[0] == current:
        return mark_safe(stored[1])
    html = render()
    _cache().set(key, (current, str(html)), seconds)
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
