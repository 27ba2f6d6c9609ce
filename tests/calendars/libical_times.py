"""Reads a JSON list of iCalendar files on stdin and prints, as JSON, for each file each
VEVENT's UID with its start and end in Unix seconds as libical (Evolution, GNOME Calendar) resolves them from the
file's own VTIMEZONEs. Run with Debian's /usr/bin/python3 (python3-gi, gir1.2-ical-3.0)."""

import json
import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib  # noqa: E402


def seconds(moment: ICalGLib.Time) -> int:
    return moment.as_timet_with_zone(moment.get_timezone())


def times(text: str) -> list[dict]:
    calendar = ICalGLib.Component.new_from_string(text)
    found = []
    kind = ICalGLib.ComponentKind.VEVENT_COMPONENT
    event = calendar.get_first_component(kind)
    while event is not None:
        start, end = event.get_dtstart(), event.get_dtend()
        zone = start.get_timezone()
        found.append(
            {
                "uid": event.get_uid(),
                "tzid": zone.get_tzid() if zone is not None else None,
                "start": seconds(start),
                "end": seconds(end),
            }
        )
        event = calendar.get_next_component(kind)
    return found


def main() -> None:
    json.dump([times(text) for text in json.load(sys.stdin)], sys.stdout)


if __name__ == "__main__":
    main()
