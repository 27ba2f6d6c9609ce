"""`make run` starts the site, a worker and the scheduler; one Ctrl-C stops them all."""

import contextlib
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.notifications.test_worker import free_port

pytestmark = pytest.mark.worker
ROOT = Path(__file__).resolve().parents[2]


def descendants(root: int) -> list[tuple[int, str]]:
    """The command lines of every process below ``root``."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid = int(stat.parent.name)
            parents[pid] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            commands[pid] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent:
                found.append(pid)
                frontier.append(pid)
    return [(pid, commands[pid]) for pid in found if pid in commands]


def running_process(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_make_run_starts_web_worker_and_scheduler_and_one_ctrl_c_stops_them(tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST_"))}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update({"SQLITE_PATH": str(tmp_path / "run.sqlite3"), "DEBUG": "1"})
    make = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    children: list[tuple[int, str]] = []
    try:
        deadline = time.monotonic() + 120
        answered = False
        while time.monotonic() < deadline and not answered:
            try:
                answered = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status == 200
            except OSError:
                time.sleep(0.5)
        assert answered, "the site answers"
        time.sleep(2)
        children = descendants(make.pid)
        running = " | ".join(command for _pid, command in children)
        assert "run_worker" in running and "run_scheduler" in running and "runserver" in running, running
        os.killpg(make.pid, signal.SIGINT)
        make.wait(timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(running_process(pid) for pid, _command in children):
            time.sleep(0.2)
        assert [command for pid, command in children if running_process(pid)] == [], "nothing is left running"
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait(10)
        for pid, _command in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
