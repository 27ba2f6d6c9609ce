from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run the task backend's own worker: `db_worker` for the database backend, "
        "`rqworker --with-scheduler --job-class django_tasks_rq.Job` on the configured queues with REDIS_URL."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--burst", action="store_true", help="Run what is due, then exit.")

    def handle(self, *args: Any, burst: bool = False, **options: Any) -> None:
        queues = settings.TASKS["default"].get("QUEUES", ["default"])
        if settings.TASK_BACKEND == "rq":
            call_command("rqworker", *queues, job_class="django_tasks_rq.Job", with_scheduler=True, burst=burst)
        elif settings.TASK_BACKEND == "db":
            call_command(
                "db_worker",
                queue_name=",".join(queues),
                batch=burst,
                interval=0.2 if burst else 1.0,
                reload=False,
                startup_delay=not burst,
            )
        else:
            self.stdout.write("TASK_BACKEND=immediate: tasks run where they are enqueued; no worker needed.")
