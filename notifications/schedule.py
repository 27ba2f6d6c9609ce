"""The periodic jobs: each a task (``<app>/tasks.py``) and when to enqueue it, as
cron fields in UTC. ``manage.py run_scheduler`` reads this list; a job enqueued
twice (two schedulers) does no harm, as every job is safe to repeat."""

from typing import Any

#: (task path, APScheduler cron fields)
JOBS: list[tuple[str, dict[str, Any]]] = [
    ("notifications.tasks.sweep_outbox", {"minute": "*"}),
    ("notifications.tasks.clear_expired_sessions", {"hour": "3", "minute": "17"}),
    ("notifications.tasks.prune_finished_work", {"hour": "3", "minute": "37"}),
]
