// Reads a JSON list of iCalendar files on stdin and prints, as JSON, for each file
// each VEVENT's UID with its start and end in Unix seconds, as ical.js (Nextcloud
// Calendar, FullCalendar) resolves them from the file's own VTIMEZONEs.
import ICAL from "ical.js";

let text = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) {
  text += chunk;
}

function times(file) {
  const calendar = new ICAL.Component(ICAL.parse(file));
  ICAL.TimezoneService.reset();
  for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(vtimezone);
  }
  return calendar.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    return {
      uid: event.uid,
      tzid: event.startDate.zone ? event.startDate.zone.tzid : null,
      start: event.startDate.toUnixTime(),
      end: event.endDate.toUnixTime(),
    };
  });
}

process.stdout.write(JSON.stringify(JSON.parse(text).map(times)));
