import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
PO_FILE = ROOT / "locale" / "ru" / "LC_MESSAGES" / "django.po"


def _run_django(env_extra: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_russian_translation_is_complete():
    po = polib.pofile(str(PO_FILE))
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    mo_file = PO_FILE.with_suffix(".mo")
    assert mo_file.exists()
    assert mo_file.stat().st_mtime >= PO_FILE.stat().st_mtime - 1, "run `make messages` to recompile the .mo file"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")
def test_every_source_string_is_in_the_russian_catalogue(tmp_path):
    """makemessages on a copy of the sources finds nothing the committed .po lacks."""
    for name in (
        "accounts",
        "api",
        "booking_site",
        "events",
        "notifications",
        "rooms",
        "templates",
        "locale",
        "manage.py",
    ):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ru", "--no-location"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    fresh = {
        entry.msgid for entry in polib.pofile(str(tmp_path / "locale/ru/LC_MESSAGES/django.po")) if not entry.obsolete
    }
    committed = {entry.msgid for entry in polib.pofile(str(PO_FILE)) if not entry.obsolete}
    assert fresh - committed == set(), "run `make messages` and translate the new strings"


def test_production_refuses_to_start_without_a_secret_key():
    result = _run_django({"DEBUG": "0", "ALLOWED_HOSTS": "example.com"}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_a_weak_secret_key():
    result = _run_django({"DEBUG": "0", "ALLOWED_HOSTS": "example.com", "SECRET_KEY": "short"}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = _run_django(
        {
            "DEBUG": "0",
            "ALLOWED_HOSTS": "example.com",
            "SECRET_KEY": "k" * 20 + "-production-secret-with-enough-entropy-9f8e7d6c",
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_migrate_alone_leaves_a_working_site(tmp_path):
    """A fresh database needs nothing but ``migrate``: the cache table comes from a migration."""
    database = tmp_path / "fresh.sqlite3"
    result = _run_django({"SQLITE_PATH": str(database)}, "migrate", "--noinput")
    assert result.returncode == 0, result.stderr
    script = (
        "from django.test import Client; from accounts.models import User; "
        "u = User.objects.create_user(email='new@example.com', password='x-9-long-password'); "
        "c = Client(); wrong = {'login': 'new@example.com', 'password': 'wrong'}; "
        "print(c.post('/accounts/login/', wrong).status_code); "
        "c.force_login(u); print(c.get('/rooms/').status_code, c.get('/timeline/').status_code)"
    )
    result = _run_django({"SQLITE_PATH": str(database), "ALLOWED_HOSTS": "testserver"}, "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-3:] == ["200", "200", "200"]


def test_a_cache_that_is_down_degrades_and_never_fails_a_page(tmp_path):
    """With Redis unreachable, logins are answered and still limited (in each
    server's memory), and pages work."""
    database = tmp_path / "nocache.sqlite3"
    env = {"SQLITE_PATH": str(database), "REDIS_URL": "redis://127.0.0.1:1/0", "ALLOWED_HOSTS": "testserver"}
    assert _run_django(env, "migrate", "--noinput").returncode == 0
    script = (
        "from django.test import Client; from accounts.models import User; "
        "u = User.objects.create_user(email='new@example.com', password='x-9-long-password'); "
        "c = Client(); right = {'login': 'new@example.com', 'password': 'x-9-long-password'}; "
        "print(c.post('/accounts/login/', right).status_code, c.get('/rooms/').status_code); c.logout(); "
        "wrong = [c.post('/accounts/login/', {**right, 'password': 'wrong'}) for _ in range(6)]; "
        "print(*[r.status_code for r in wrong], *['limited' in r.content.decode() for r in wrong])"
    )
    result = _run_django(
        {**env, "LANGUAGE_CODE": "en"}, "shell", "-c", script.replace("'limited'", "'Too many failed'")
    )
    assert result.returncode == 0, result.stderr
    statuses_and_limits = result.stdout.split()[-14:]
    assert statuses_and_limits[:8] == ["302", "200", "200", "200", "200", "200", "200", "200"]
    assert statuses_and_limits[8:] == ["False"] * 5 + ["True"], "the sixth wrong password is refused unread"
    assert "Redis cache unavailable" in result.stderr


def test_the_redis_cache_is_used_while_redis_answers(settings):
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        pytest.skip("needs Redis on 127.0.0.1:6379")
    from booking_site.cache import FallbackRedisCache

    cache = FallbackRedisCache("redis://127.0.0.1:6379/15", {"KEY_PREFIX": f"test-{os.getpid()}"})
    cache.set("answer", 42, 30)
    assert cache.get("answer") == 42
    assert cache._fallback.get("answer") is None
    cache.delete("answer")
