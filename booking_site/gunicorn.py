"""gunicorn's access log without secrets: a calendar feed's address is its only
key (``/calendar/<token>.ics``), so the token is masked in every logged line."""

import re
from typing import Any

from gunicorn.glogging import Logger

FEED_TOKEN = re.compile(r"(/calendar/)[^/\s?.]+")


def redact(text: str) -> str:
    return FEED_TOKEN.sub(r"\1…", text)


class RedactingLogger(Logger):
    """``--logger-class booking_site.gunicorn.RedactingLogger``."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}
