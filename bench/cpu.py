"""CPU time of a server's processes, from /proc: the steady figure on a shared machine.

A snapshot holds each live child's user + system time (``utime`` + ``stime`` in
``/proc/<pid>/stat``) and the parent's ``cutime`` + ``cstime``, the time of the
children it has already reaped. The difference of two snapshots is therefore the
CPU the children spent in between, even when a worker was re-forked in between:
a child that has gone took its time into the parent's reaped total, and a child
that is new started from zero. A pid that vanishes while it is being read is
skipped.

PostgreSQL's postmaster reaps the backends of every database and client alike,
so for the database a `Tracker` follows only the backends serving one database
(by their process title), polled while the load runs: a backend that ends in
between (the site reconnects now and then) loses at most one poll's worth.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Fields of /proc/<pid>/stat counted from the one after the command name, which
# is field 3 (state): field n is at index n - 3.
PPID, UTIME, STIME, CUTIME, CSTIME = 4 - 3, 14 - 3, 15 - 3, 16 - 3, 17 - 3


def stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def children(pid: int) -> list[int]:
    """The children of ``pid`` (every thread's, though gunicorn and PostgreSQL fork from one)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(child) for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
        except OSError:
            continue
    return found


def parent_of(pid: int) -> int | None:
    fields = stat(pid)
    return int(fields[PPID]) if fields else None


@dataclass
class Snapshot:
    reaped: int = 0
    live: dict[int, int] = field(default_factory=dict)


def snapshot(parent: int | None) -> Snapshot | None:
    if parent is None:
        return None
    fields = stat(parent)
    if fields is None:
        return None
    live = {}
    for child in children(parent):
        child_fields = stat(child)
        if child_fields is not None:
            live[child] = int(child_fields[UTIME]) + int(child_fields[STIME])
    return Snapshot(int(fields[CUTIME]) + int(fields[CSTIME]), live)


def seconds_between(before: Snapshot | None, after: Snapshot | None) -> float | None:
    """CPU seconds the children of one parent spent between two snapshots."""
    if before is None or after is None:
        return None
    ticks = after.reaped - before.reaped
    for pid, used in after.live.items():
        ticks += used - before.live.get(pid, 0)
    for pid, used in before.live.items():
        if pid not in after.live:
            ticks -= used  # its whole time is in `reaped` now
    return max(ticks, 0) / CLOCK_TICKS


def backends(postmaster: int, title: str) -> dict[int, int]:
    """CPU ticks of each child of ``postmaster`` whose process title holds ``title``
    (" <user> <database> " picks one database's client backends)."""
    found = {}
    for pid in children(postmaster):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat(pid) if title in f"{command} " else None
        if fields is not None:
            found[pid] = int(fields[UTIME]) + int(fields[STIME])
    return found


class Tracker:
    """The CPU a changing set of processes spends from start() to seconds(), by polling."""

    def __init__(self, read: Callable[[], dict[int, int]]) -> None:
        self.read = read
        self.first: dict[int, int] = {}
        self.last: dict[int, int] = {}

    def start(self) -> None:
        self.first = self.read()
        self.last = dict(self.first)

    def poll(self) -> None:
        self.last.update(self.read())

    def seconds(self) -> float:
        self.poll()
        return sum(used - self.first.get(pid, 0) for pid, used in self.last.items()) / CLOCK_TICKS


def peak_memory_mb(parent: int) -> float:
    """The highest peak resident set (VmHWM) of the children of ``parent``."""
    peak = 0
    for child in children(parent):
        try:
            lines = Path(f"/proc/{child}/status").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak / 1024
