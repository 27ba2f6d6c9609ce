"""Two gunicorn instances behind no balancer, one PostgreSQL: nothing double-books
and login throttling holds across both."""

import http.client
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.db import connection

from accounts.services import issue_api_token
from rooms.models import Booking
from tests.factories import PASSWORD, RoomFactory, UserFactory, tomorrow_at
from tests.servers import gunicorn_servers

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
]


def post_json(url: str, token: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_hundred_attempts_over_two_servers_give_one_booking():
    room = RoomFactory(name="Shared")
    tokens = [issue_api_token(user=UserFactory(), name="cluster")[1] for _ in range(100)]
    body = {"room": room.pk, "title": "Race", "start": tomorrow_at(10).isoformat(), "end": tomorrow_at(11).isoformat()}
    with gunicorn_servers(2) as urls:
        barrier = threading.Barrier(len(tokens))
        results: list = [None] * len(tokens)

        def attempt(index: int) -> None:
            barrier.wait(timeout=60)
            results[index] = post_json(f"{urls[index % 2]}/api/bookings/", tokens[index], body)

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(tokens))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
    statuses = sorted(status for status, _body in results)
    assert statuses == [201] + [400] * 99, statuses
    assert all(
        payload["errors"]["non_field_errors"][0].startswith("The room is already booked")
        for status, payload in results
        if status == 400
    )
    assert Booking.objects.filter(room=room).count() == 1


def failed_login(base: str, email: str) -> str:
    """A wrong password through ``base``, sent with the one host name a load
    balancer would pass to every server."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("GET", "/accounts/login/", headers={"Host": "office.test"})
    response = connection.getresponse()
    page = response.read().decode()
    cookies = "; ".join(
        header.split(";", 1)[0] for name, header in response.getheaders() if name.lower() == "set-cookie"
    )
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"login": email, "password": "wrong", "csrfmiddlewaretoken": token})
    headers = {
        "Host": "office.test",
        "Cookie": cookies,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    connection.request("POST", "/accounts/login/", body=body, headers=headers)
    answer = connection.getresponse().read().decode()
    connection.close()
    return answer


def test_login_throttling_holds_across_both_servers():
    user = UserFactory(email="target@example.com")
    assert user.check_password(PASSWORD)
    with gunicorn_servers(2, workers=1) as urls:
        pages = [failed_login(urls[attempt % 2], user.email) for attempt in range(6)]
    assert "Too many failed login attempts" not in pages[0]
    assert "Too many failed login attempts" in pages[5]
