from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from notifications import services


class Command(BaseCommand):
    help = (
        "Print how many mails wait for a worker and how long the oldest has waited; "
        "exit 1 when that is longer than --max-age seconds (a container health check)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--max-age", type=int, default=None, help="Seconds (default QUEUE_MAX_WAIT_SECONDS).")

    def handle(self, *args: Any, max_age: int | None = None, **options: Any) -> None:
        limit = settings.QUEUE_MAX_WAIT_SECONDS if max_age is None else max_age
        waited = services.oldest_waiting()
        seconds = 0 if waited is None else int(waited.total_seconds())
        failed = services.failed_count()
        self.stdout.write(f"waiting={services.waiting_count()} oldest_wait_seconds={seconds} failed={failed}")
        if seconds > limit:
            raise CommandError(f"the oldest waiting work has waited {seconds} s (more than {limit} s)", returncode=1)
