"""Rules on text that ends up in headers and calendar lines."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

#: Control characters and the Unicode line and paragraph separators.
_BREAKING = {"Cc", "Zl", "Zp"}


def validate_single_line(value: str) -> None:
    """A title or a name goes into mail subjects and calendar lines: one line,
    no control characters (a newline there breaks the mail or the file)."""
    if any(unicodedata.category(character) in _BREAKING for character in value):
        raise ValidationError(_("Use one line, without line breaks or control characters."), code="single_line")


def one_line(value: str) -> str:
    """``value`` with every run of whitespace and control characters made one space."""
    cleaned = "".join(" " if unicodedata.category(c) in _BREAKING else c for c in value)
    return " ".join(cleaned.split())
