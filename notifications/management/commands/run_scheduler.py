import contextlib
import logging
import signal
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from notifications.schedule import JOBS

logger = logging.getLogger(__name__)


def enqueue(path: str) -> None:
    """Hand one periodic job to the workers; a task backend that is down is logged
    and tried again at the job's next turn."""
    try:
        import_string(path).enqueue()
    except Exception:
        logger.exception("Could not enqueue %s", path)


class Command(BaseCommand):
    help = "Enqueue the periodic jobs (notifications/schedule.py) on time; runs until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Enqueue every job once now and exit.")

    def handle(self, *args: Any, once: bool = False, **options: Any) -> None:
        if once:
            for path, _fields in JOBS:
                enqueue(path)
            return
        scheduler = BlockingScheduler(timezone="UTC")
        for path, fields in JOBS:
            scheduler.add_job(enqueue, CronTrigger(timezone="UTC", **fields), args=[path], id=path, coalesce=True)
        signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
        self.stdout.write(f"Scheduler: {len(JOBS)} periodic jobs")
        with contextlib.suppress(KeyboardInterrupt):
            scheduler.start()
