"""Schemathesis against the project's own schema on a live test server.

Slow, so it runs only with RUN_API_FUZZ=1 (``make fuzz``; CI does). Every
operation, a bounded number of examples, as an employee and as an admin: no 5xx,
no response that breaks the schema, no undocumented content type.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.services import issue_api_token
from events import services as event_services
from tests.factories import BookingFactory, RoomFactory, UserFactory, next_weekday_at

pytestmark = [
    pytest.mark.fuzz,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(os.environ.get("RUN_API_FUZZ") != "1", reason="set RUN_API_FUZZ=1 (make fuzz) to fuzz the API"),
]

EXAMPLES = os.environ.get("API_FUZZ_EXAMPLES", "100")
CHECKS = os.environ.get("API_FUZZ_CHECKS", "all")
# A request the schema allows can still break a rule the schema cannot state
# (the booking is already cancelled, the room is taken, that id does not exist):
# those are 400s by design, so "schema-valid data must be accepted" is left out.
EXCLUDED = os.environ.get("API_FUZZ_EXCLUDE", "positive_data_acceptance")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def seed() -> dict[str, str]:
    employee = UserFactory(name="Fuzzy Employee")
    admin = UserFactory(name="Fuzzy Admin", is_staff=True, is_superuser=True)
    rooms = [RoomFactory(capacity=10 + i) for i in range(3)]
    BookingFactory(room=rooms[0], user=employee, start=next_weekday_at(10), end=next_weekday_at(11))
    event = event_services.create_event(
        organizer=employee, title="Fuzz event", start=next_weekday_at(14), end=next_weekday_at(15), room=rooms[1]
    )
    event_services.invite(event=event, invited_by=employee, invitees=[admin])
    return {
        "employee": issue_api_token(user=employee, name="fuzz")[1],
        "admin": issue_api_token(user=admin, name="fuzz")[1],
    }


@pytest.mark.parametrize("role", ["employee", "admin"])
def test_schemathesis_finds_nothing(live_server, role, tmp_path, settings):
    settings.API_RATE_PER_TOKEN = settings.API_RATE_PER_ADDRESS = ""  # the fuzzer is one fast caller
    token = seed()[role]
    schemathesis = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [
            str(schemathesis),
            "run",
            f"{live_server.url}/api/schema/",
            "--checks",
            CHECKS,
            "--exclude-checks",
            EXCLUDED,
            "--header",
            f"Authorization: Bearer {token}",
            "--max-examples",
            EXAMPLES,
            "--seed",
            "20261123",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=1500,
        cwd=tmp_path,
    )
    ARTIFACTS.mkdir(exist_ok=True)
    report = ARTIFACTS / f"schemathesis-{role}.txt"
    report.write_text(result.stdout + result.stderr)
    summary = result.stdout[-6000:]
    assert result.returncode == 0, f"full report: {report}\n{summary}"
    assert "passed" in summary
