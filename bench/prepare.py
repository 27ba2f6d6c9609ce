"""Create and fill the two benchmark databases once: office scale and demo."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent


SQLITE_DIR = ROOT / "bench" / "data"


def urls(sqlite: bool) -> tuple[str, str]:
    """(office, demo) database URLs."""
    if sqlite:
        return f"sqlite:///{SQLITE_DIR / 'office.sqlite3'}", f"sqlite:///{SQLITE_DIR / 'demo.sqlite3'}"
    return (
        os.environ.get("BENCH_OFFICE_URL", "postgres://postgres@127.0.0.1:5432/booking_bench"),
        os.environ.get("BENCH_DEMO_URL", "postgres://postgres@127.0.0.1:5432/booking_bench_demo"),
    )


def ensure_database(url: str) -> None:
    if url.startswith("sqlite:"):
        SQLITE_DIR.mkdir(exist_ok=True)
        return
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def manage(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=False)


def main() -> None:
    office, demo = urls("--sqlite" in sys.argv[1:])
    for url, seed in ((demo, ["seed_demo"]), (office, ["seed_office"])):
        ensure_database(url)
        manage(url, "migrate", "--noinput", "-v", "0").check_returncode()
        manage(url, "createcachetable").check_returncode()
        result = manage(
            url, "shell", "-c", "from rooms.models import Room; import sys; sys.exit(0 if Room.objects.exists() else 3)"
        )
        if result.returncode == 3:
            print(f"Filling {url} ({seed[0]}); this takes a few minutes the first time.", flush=True)
            manage(url, *seed).check_returncode()
        manage(
            url, "shell", "-c", "from django.db import connection; connection.cursor().execute('ANALYZE')"
        ).check_returncode()


if __name__ == "__main__":
    main()
