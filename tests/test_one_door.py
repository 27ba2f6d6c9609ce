"""Nothing but a service writes: no view, admin, serializer, form, command or
template tag calls ``.save()``, ``.delete()``, ``.update()`` or a bulk write on
the ORM. The few exceptions are listed here with their reason."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["accounts", "api", "booking_site", "events", "rooms"]
WRITES = {"save", "delete", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}
#: Names that other objects use too (``dict.update``): counted on a manager or queryset only.
ORM_WRITES = {"update", "create"}

#: (file, method) -> why it may write outside a service.
ALLOWED = {
    ("accounts/models.py", "save"): "UserManager.create_user, the contract of a custom user model",
    ("rooms/reports.py", "save"): "an openpyxl workbook, not a model",
    ("events/management/commands/seed_office.py", "bulk_create"): (
        "the benchmark's data generator: a million rows in bulk, checked by the benchmark, never a person's write"
    ),
}


def writes_in(path: Path) -> list[tuple[int, str, str]]:
    found = []
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        receiver = ast.unparse(node.func.value)
        on_orm = "objects" in receiver or "queryset" in receiver
        if method in WRITES or (method in ORM_WRITES and on_orm):
            found.append((node.lineno, method, receiver))
    return found


def sources() -> list[Path]:
    files = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative.endswith("/services.py"):
                continue
            files.append(path)
    return files


def test_only_services_write():
    offenders = []
    for path in sources():
        relative = path.relative_to(ROOT).as_posix()
        for line, method, receiver in writes_in(path):
            if (relative, method) not in ALLOWED:
                offenders.append(f"{relative}:{line}: {receiver}.{method}()")
    assert offenders == [], "write through a service instead:\n" + "\n".join(offenders)


def test_the_check_sees_a_write():
    """The scan itself must be able to fail."""
    sample = ROOT / "tests" / "_one_door_sample.py"
    sample.write_text("def view(booking):\n    booking.save()\n    Room.objects.filter(pk=1).update(name='x')\n")
    try:
        assert [method for _line, method, _r in writes_in(sample)] == ["save", "update"]
    finally:
        sample.unlink()


def test_every_exception_is_still_needed():
    used = set()
    for path in sources():
        relative = path.relative_to(ROOT).as_posix()
        used |= {(relative, method) for _line, method, _r in writes_in(path)}
    assert set(ALLOWED) <= used, set(ALLOWED) - used
