import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection


class Command(BaseCommand):
    help = "Wait until the database answers a query."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait at most")

    def handle(self, *args: Any, timeout: float, **options: Any) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                connection.ensure_connection()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
            except DatabaseError as error:
                connection.close()
                if time.monotonic() >= deadline:
                    raise CommandError(f"The database did not answer within {timeout:.0f} s: {error}") from error
                self.stdout.write("Waiting for the database…")
                time.sleep(1)
            else:
                self.stdout.write("The database answers.")
                return
