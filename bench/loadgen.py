"""Load generator for `make bench`: a separate process that drives the site with
N concurrent clients for a fixed time and prints JSON results.

The spec (JSON on stdin) names a weighted set of *kinds* of request; a single
operation is a set of one. Each request picks a kind by weight, then a person
(a logged-in session, an API token for API kinds, or nobody: ``"auth": "none"``,
as a calendar app asks for a feed) and, for reads, one of the kind's paths and
the kind's extra ``headers`` if it has any (a feed's ``If-None-Match``). Writes
keep a little state per person:

- ``api_book`` / ``html_book`` book a room in a slot of their own: every create
  gets a (room, day) pair no other create of the run has, so creates never
  collide, whatever the person's time zone;
- ``api_change`` moves the end of one of the person's bench bookings (taken out
  of the pool while in flight, so that nothing cancels it meanwhile);
- ``api_cancel`` cancels one (and drops it from the pool);
- ``api_register`` registers for one of the events listed for the person;
- ``event_move`` (a kind with ``event``, ``title``, ``day`` and two ``times``)
  moves the event through its page's form, to the kind's times in turn, so
  that, one request after another, each really moves it.

When a change, cancel or registration has nothing left to act on, a mix
(``"fallback": true``) books a room instead, and a single operation stops.
"""

import http.client
import json
import math
import random
import statistics
import sys
import threading
import time
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

WRITES = {"api_book", "html_book", "api_change", "api_cancel", "api_register"}


def summary(latencies: list[float]) -> dict[str, float]:
    if not latencies:
        return {"requests": 0, "median_ms": 0.0, "p99_ms": 0.0}
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "median_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[math.ceil(len(ordered) * 0.99) - 1] * 1000,
    }


class Request:
    def __init__(self, kind: str, method: str, path: str, headers: dict[str, str], body: str | None = None) -> None:
        self.kind, self.method, self.path, self.headers, self.body = kind, method, path, headers, body
        self.user: dict[str, Any] | None = None
        self.booking: list | None = None


class Workload:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.kinds: list[dict[str, Any]] = spec["kinds"]
        self.weights = [kind.get("weight", 1) for kind in self.kinds]
        self.users: list[dict[str, Any]] = spec["users"]
        for user in self.users:
            user["bookings"] = [list(booking) for booking in user.get("bookings", [])]
            user["events"] = list(user.get("events", []))
        self.token_users = [user for user in self.users if user.get("token")]
        self.fallback = spec.get("fallback", False)
        self.csrf = spec.get("csrf", "")
        slots = spec.get("slots") or {"rooms": [0], "first_day": "2030-01-01", "days": 1}
        self.slot_rooms: list[int] = slots["rooms"]
        self.first_day = date.fromisoformat(slots["first_day"])
        self.slot_days: int = slots["days"]
        self.slot = 0
        self.moves: dict[str, int] = {}
        self.lock = threading.Lock()

    # -- who asks -----------------------------------------------------------------

    def session_headers(self, user: dict[str, Any]) -> dict[str, str]:
        return {"Cookie": f"sessionid={user['session']}; csrftoken={self.csrf}"}

    def token_headers(self, user: dict[str, Any]) -> dict[str, str]:
        return {"Authorization": f"Bearer {user['token']}", "Content-Type": "application/json"}

    def next_slot(self) -> tuple[int, date]:
        with self.lock:
            index = self.slot
            self.slot += 1
        rooms = len(self.slot_rooms)
        return self.slot_rooms[index % rooms], self.first_day + timedelta(days=(index // rooms) % self.slot_days)

    # -- what is asked ---------------------------------------------------------------

    def next(self, rng: random.Random) -> Request | None:
        kind = rng.choices(self.kinds, self.weights)[0]
        name = kind["name"]
        action = kind.get("action", "read")
        if action == "read":
            if kind.get("auth") == "token":
                user = rng.choice(self.token_users)
                headers = self.token_headers(user)
            elif kind.get("auth") == "none":
                headers = {}
            else:
                user = rng.choice(self.users)
                headers = self.session_headers(user)
            return Request(name, "GET", rng.choice(kind["paths"]), {**headers, **kind.get("headers", {})})
        if action == "event_move":
            return self.event_move(kind, rng)
        request = getattr(self, action)(name, rng)
        if request is None and self.fallback:
            request = self.api_book("api_book", rng)
        return request

    def api_book(self, name: str, rng: random.Random) -> Request:
        user = rng.choice(self.token_users)
        room, day = self.next_slot()
        body = json.dumps({"room": room, "title": "bench", "start": f"{day}T10:00", "end": f"{day}T10:30"})
        request = Request(name, "POST", "/api/bookings/", self.token_headers(user), body)
        request.user = user
        return request

    def html_book(self, name: str, rng: random.Random) -> Request:
        user = rng.choice(self.users)
        room, day = self.next_slot()
        body = urlencode(
            {
                "csrfmiddlewaretoken": self.csrf,
                "title": "bench",
                "date": day.isoformat(),
                "start_time": "11:00",
                "end_time": "11:30",
            }
        )
        headers = {**self.session_headers(user), "Content-Type": "application/x-www-form-urlencoded"}
        return Request(name, "POST", f"/rooms/{room}/book/", headers, body)

    def _take_booking(self, rng: random.Random) -> tuple[dict[str, Any], list] | None:
        with self.lock:
            owners = [user for user in self.token_users if user["bookings"]]
            if not owners:
                return None
            user = rng.choice(owners)
            booking = user["bookings"].pop(rng.randrange(len(user["bookings"])))
        return user, booking

    def api_change(self, name: str, rng: random.Random) -> Request | None:
        taken = self._take_booking(rng)
        if taken is None:
            return None
        user, booking = taken
        booking_id, start = booking[0], datetime.fromisoformat(booking[1])
        changes = booking[2] if len(booking) > 2 else 0
        end = start + timedelta(minutes=45 if changes % 2 == 0 else 60)
        body = json.dumps({"title": "bench changed", "end": end.isoformat()})
        request = Request(name, "PATCH", f"/api/bookings/{booking_id}/", self.token_headers(user), body)
        request.user, request.booking = user, [booking_id, booking[1], changes + 1]
        return request

    def api_cancel(self, name: str, rng: random.Random) -> Request | None:
        taken = self._take_booking(rng)
        if taken is None:
            return None
        user, booking = taken
        return Request(name, "POST", f"/api/bookings/{booking[0]}/cancel/", self.token_headers(user))

    def api_register(self, name: str, rng: random.Random) -> Request | None:
        with self.lock:
            candidates = [user for user in self.token_users if user["events"]]
            if not candidates:
                return None
            user = rng.choice(candidates)
            event = user["events"].pop()
        return Request(name, "POST", f"/api/events/{event}/register/", self.token_headers(user))

    def event_move(self, kind: dict[str, Any], rng: random.Random) -> Request:
        with self.lock:
            moves = self.moves[kind["name"]] = self.moves.get(kind["name"], 0) + 1
        start_time, end_time = kind["times"][(moves - 1) % len(kind["times"])]
        body = urlencode(
            {
                "csrfmiddlewaretoken": self.csrf,
                "title": kind["title"],
                "description": "",
                "date": kind["day"],
                "start_time": start_time,
                "end_date": kind["day"],
                "end_time": end_time,
                "room": "",
                "capacity": "",
            }
        )
        headers = {**self.session_headers(rng.choice(self.users)), "Content-Type": "application/x-www-form-urlencoded"}
        return Request(kind["name"], "POST", f"/events/{kind['event']}/edit/", headers, body)

    def done(self, request: Request, status: int, content: bytes) -> None:
        """Keep the pools up to date with what the server answered."""
        if request.kind == "api_book" and status == 201 and request.user is not None:
            answer = json.loads(content)
            with self.lock:
                request.user["bookings"].append([answer["id"], answer["start"], 0])
        elif request.booking is not None and request.user is not None:
            # A change gives its booking back, whatever the answer.
            with self.lock:
                request.user["bookings"].append(request.booking)


def run(spec: dict[str, Any]) -> dict[str, Any]:
    url = urlsplit(spec["base"])
    workload = Workload(spec)
    deadline = time.monotonic() + spec["seconds"]
    limit = spec.get("max_requests") or math.inf
    lock = threading.Lock()
    started_count = [0]
    latencies: dict[str, list[float]] = {}
    statuses: dict[str, dict[str, int]] = {}
    queries: dict[str, list[int]] = {}
    errors: dict[str, str] = {}
    finished: list[float] = []

    def record(kind: str, status: int, elapsed: float | None) -> None:
        with lock:
            counts = statuses.setdefault(kind, {})
            counts[str(status)] = counts.get(str(status), 0) + 1
            if elapsed is not None:
                latencies.setdefault(kind, []).append(elapsed)

    def client(number: int) -> None:
        rng = random.Random(spec.get("seed", 0) * 1000 + number)
        while time.monotonic() < deadline:
            with lock:
                if started_count[0] >= limit:
                    break
                started_count[0] += 1
            request = workload.next(rng)
            if request is None:
                break
            connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
            began = time.perf_counter()
            try:
                connection.request(request.method, request.path, body=request.body, headers=request.headers)
                response = connection.getresponse()
                content = response.read()
                elapsed = time.perf_counter() - began
                record(request.kind, response.status, elapsed)
                count = response.getheader("X-Query-Count")
                with lock:
                    if count is not None:
                        queries.setdefault(request.kind, []).append(int(count))
                    if response.status >= 400 and request.kind not in errors:
                        errors[request.kind] = content[:300].decode(errors="replace")
                workload.done(request, response.status, content)
            except (OSError, http.client.HTTPException) as error:
                record(request.kind, 0, None)
                with lock:
                    errors.setdefault(request.kind, repr(error))
                workload.done(request, 0, b"")
            finally:
                connection.close()
        with lock:
            finished.append(time.monotonic())

    threads = [threading.Thread(target=client, args=(number,)) for number in range(spec["concurrency"])]
    begun = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # A single operation whose pool ran dry ends early: count until the last client stopped.
    duration = max(max(finished, default=begun) - begun, 1e-6)
    classes = {"read": [], "write": []}
    kinds = {}
    writes = WRITES | {kind["name"] for kind in spec["kinds"] if kind.get("action", "read") != "read"}
    for kind in set(statuses) | set(latencies):
        times = latencies.get(kind, [])
        classes["write" if kind in writes else "read"].extend(times)
        kinds[kind] = {
            **summary(times),
            "queries": statistics.median(queries[kind]) if queries.get(kind) else None,
            "statuses": statuses.get(kind, {}),
        }
    everything = [elapsed for times in latencies.values() for elapsed in times]
    return {
        **summary(everything),
        "seconds": duration,
        "rps": len(everything) / duration,
        "kinds": kinds,
        "classes": {name: summary(times) for name, times in classes.items()},
        "errors": errors,
        "users": [
            {"bookings": user["bookings"], "events": user["events"]} for user in workload.users if user.get("token")
        ],
    }


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.stdin.read()))))
