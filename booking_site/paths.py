"""``reverse()`` for list pages: a URL with integer arguments is built from a
pattern resolved once per name and script prefix, instead of walking the URL
resolver for every row (a list of 50 bookings has some 150 links)."""

from functools import cache

from django.conf import settings
from django.urls import get_script_prefix, reverse

_MARK = 987654321


@cache
def _pattern(name: str, count: int, prefix: str) -> tuple[str, ...]:
    resolved = reverse(name, args=[_MARK + index for index in range(count)])
    parts = [resolved]
    for index in range(count):
        head, tail = parts[-1].split(str(_MARK + index), 1)
        parts[-1:] = [head, tail]
    return tuple(parts)


def path(name: str, *args: int) -> str:
    """``reverse(name, args=args)`` for integer arguments (other arguments go to ``reverse``)."""
    if not all(isinstance(arg, int) for arg in args):
        return reverse(name, args=args or None)
    parts = _pattern(name, len(args), get_script_prefix())
    return parts[0] + "".join(f"{arg}{part}" for arg, part in zip(args, parts[1:], strict=True))


def site_url(path: str) -> str:
    """``path`` (from the site's root) as an absolute address on ``SITE_URL``: what
    mails and calendar files link to, whatever host a request came in by."""
    return settings.SITE_URL.rstrip("/") + path
