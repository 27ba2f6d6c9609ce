"""The navigation bar's entries and languages, for both page layouts (the Django
one of forms and allauth, the Jinja2 one of the read pages)."""

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import get_language_info, gettext, gettext_lazy, gettext_noop, pgettext_lazy

DEFAULT_SITE_NAME = gettext_noop("Office booking")


def site_name() -> str:
    """``SITE_NAME`` in the active language: the default name is translated, a
    name an office chose is shown as written."""
    return gettext(settings.SITE_NAME)


@dataclass(frozen=True)
class NavItem:
    label: Any
    url: str
    prefix: str
    element_id: str = ""
    exact: bool = False

    def is_active(self, path: str) -> bool:
        return path == self.url if self.exact else path.startswith(self.prefix)


@cache
def _items() -> tuple[tuple[NavItem, ...], NavItem]:
    rooms = reverse("rooms:list")
    return (
        (
            NavItem(pgettext_lazy("nav", "Rooms"), rooms, rooms),
            NavItem(pgettext_lazy("nav", "Timeline"), reverse("rooms:timeline"), "/timeline/"),
            NavItem(pgettext_lazy("nav", "Find a room"), reverse("rooms:find"), "", exact=True),
            NavItem(pgettext_lazy("nav", "My bookings"), reverse("rooms:my_bookings"), "", exact=True),
            NavItem(gettext_lazy("Events"), reverse("events:list"), "/events/"),
            NavItem(gettext_lazy("Invitations"), reverse("events:invitations"), "/invitations/", "nav-invitations"),
        ),
        NavItem(gettext_lazy("Reports"), reverse("rooms:usage_report"), "/reports/"),
    )


def navigation(request: HttpRequest) -> dict[str, Any]:
    """``nav_items``: (item, active) for the signed-in person; ``nav_languages``: (code, name)."""
    user = getattr(request, "user", None)
    entries: list[NavItem] = []
    if user is not None and user.is_authenticated:
        everyone, staff = _items()
        entries = [*everyone, staff] if user.is_staff else list(everyone)
    path = request.path
    find = reverse("rooms:find")
    return {
        "site_name": site_name(),
        "nav_items": [
            (item, item.is_active(path) and not (item.prefix == entries[0].prefix and path == find)) for item in entries
        ],
        "nav_languages": _languages(),
    }


@cache
def _languages() -> list[tuple[str, str]]:
    return [(code, get_language_info(code)["name_local"].capitalize()) for code, _name in settings.LANGUAGES]
