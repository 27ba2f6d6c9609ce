import io
import json
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from googleapiclient.http import HttpMockSequence
from openpyxl import load_workbook

from rooms import google_sheets, reports
from rooms.finder import free_rooms, nearest_free_times
from rooms.models import Booking, Room
from rooms.timeline import build_day_timeline
from tests.factories import BookingFactory, RoomFactory, UserFactory, tomorrow_at

pytestmark = pytest.mark.django_db
MOSCOW = ZoneInfo("Europe/Moscow")


class TestTimeline:
    def test_blocks_at_odd_times(self, room):
        day = tomorrow_at(0).date()
        booking = BookingFactory(room=room, start=tomorrow_at(9, 10), end=tomorrow_at(10, 55))
        strip = build_day_timeline(day, [booking], now=tomorrow_at(0) - timedelta(days=1))
        [block] = strip.blocks
        total_minutes = 12 * 60  # 08:00-20:00
        assert block.left == pytest.approx(70 / total_minutes * 100, abs=0.01)
        assert block.width == pytest.approx(105 / total_minutes * 100, abs=0.01)
        free = {slot.start.strftime("%H:%M") for slot in strip.slots if slot.free}
        assert "09:00" not in free and "10:30" not in free and "11:00" in free and "08:30" in free

    def test_window_widens_for_early_and_late_bookings(self, room):
        day = tomorrow_at(0).date()
        early = BookingFactory(room=room, start=tomorrow_at(6, 30), end=tomorrow_at(7, 30))
        late = BookingFactory(room=room, start=tomorrow_at(20, 15), end=tomorrow_at(21, 40))
        strip = build_day_timeline(day, [early, late])
        assert timezone.localtime(strip.start).hour == 6 and timezone.localtime(strip.end).hour == 22

    def test_placement_follows_the_viewers_time_zone(self, client, room):
        booking = BookingFactory(room=room, title="Tokyo view", start=tomorrow_at(9), end=tomorrow_at(10))  # Moscow
        viewer = UserFactory(timezone="Asia/Tokyo")
        client.force_login(viewer)
        tokyo_day = booking.start.astimezone(ZoneInfo("Asia/Tokyo")).date()
        response = client.get(reverse("rooms:timeline"), {"day": tokyo_day.isoformat()})
        [strip] = [s for r, s in response.context_data["rows"] if r == room]
        [block] = strip.blocks
        start = timezone.localtime(strip.start, ZoneInfo("Asia/Tokyo"))
        assert start.hour == 8
        assert block.left == pytest.approx(7 / 12 * 100, abs=0.01)  # 15:00 Tokyo, 7 hours after 08:00
        assert '>15:00</span><span class="timeline-block-title">Tokyo view' in response.content.decode()

    def test_day_view_lists_every_active_room_and_links_free_slots(self, employee_client):
        RoomFactory(name="Alpha")
        RoomFactory(name="Beta")
        RoomFactory(name="Closed", is_active=False)
        day = tomorrow_at(0).date()
        html = employee_client.get(reverse("rooms:timeline"), {"day": day.isoformat()}).content.decode()
        assert "Alpha" in html and "Beta" in html and "Closed" not in html
        assert f"?date={day.isoformat()}&amp;start=10:00" in html

    def test_week_view(self, employee_client, room):
        BookingFactory(room=room, title="Weekly", start=tomorrow_at(10), end=tomorrow_at(11))
        response = employee_client.get(
            reverse("rooms:week", args=[room.pk]), {"day": tomorrow_at(0).date().isoformat()}
        )
        assert response.status_code == 200
        rows = response.context_data["rows"]
        assert len(rows) == 7 and rows[0][0].weekday() == 0
        assert sum(len(strip.blocks) for _day, strip in rows) == 1
        assert employee_client.get(reverse("rooms:week", args=[999])).status_code == 404
        assert employee_client.get(reverse("rooms:week", args=[room.pk]), {"day": "garbage"}).status_code == 200

    def test_timeline_queries_stay_constant(self, employee_client):
        day = tomorrow_at(0).date()

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                employee_client.get(reverse("rooms:timeline"), {"day": day.isoformat()})
            return len(queries)

        RoomFactory()
        before = count()
        for i in range(15):
            room = RoomFactory()
            BookingFactory(room=room, user=UserFactory(), start=tomorrow_at(9 + i % 8), end=tomorrow_at(9 + i % 8, 45))
        assert count() == before


class TestFinder:
    def test_smallest_fitting_first_with_equipment(self, employee_client):
        RoomFactory(name="Tiny", capacity=4, equipment=["video"])
        RoomFactory(name="Mid", capacity=10, equipment=["video"])
        RoomFactory(name="Big", capacity=30, equipment=["video"])
        RoomFactory(name="Plain", capacity=8, equipment=[])
        busy = RoomFactory(name="Busy", capacity=8, equipment=["video"])
        BookingFactory(room=busy, start=tomorrow_at(10), end=tomorrow_at(11))
        day = tomorrow_at(0).date().isoformat()
        response = employee_client.get(
            reverse("rooms:find"),
            {"date": day, "start_time": "10:30", "end_time": "11:30", "people": 8, "equipment": ["video"]},
        )
        assert [room.name for room in response.context_data["rooms"]] == ["Mid", "Big"]
        assert f"?date={day}&amp;start=10:30&amp;end_date={day}&amp;end=11:30" in response.content.decode()

    def test_nearest_free_times_when_none_fits(self, employee_client):
        room = RoomFactory(name="Only", capacity=10)
        BookingFactory(room=room, start=tomorrow_at(9), end=tomorrow_at(12))
        BookingFactory(room=room, start=tomorrow_at(13), end=tomorrow_at(15))
        response = employee_client.get(
            reverse("rooms:find"),
            {"date": tomorrow_at(0).date().isoformat(), "start_time": "11:00", "end_time": "12:00", "people": 6},
        )
        assert response.context_data["rooms"] == []
        suggestions = response.context_data["suggestions"]
        assert [(timezone.localtime(s.start).time(), timezone.localtime(s.end).time()) for s in suggestions] == [
            (time(12), time(13))
        ]
        assert "Nearest free times" in response.content.decode()

    def test_when_no_room_is_big_enough_or_equipped_it_says_so(self, employee_client):
        RoomFactory(name="Small", capacity=6, equipment=["whiteboard"])
        RoomFactory(name="Medium", capacity=12, equipment=[])
        day = tomorrow_at(0).date().isoformat()
        span = {"date": day, "start_time": "11:00", "end_time": "12:00"}
        page = employee_client.get(reverse("rooms:find"), span | {"people": 40})
        assert "No room seats 40 people: the largest seats 12." in page.content.decode()
        assert "suggestions" not in page.context_data
        page = employee_client.get(reverse("rooms:find"), span | {"people": 8, "equipment": ["whiteboard"]})
        assert "No room for 8 people has all of the equipment you chose." in page.content.decode()
        page = employee_client.get(reverse("rooms:find"), span | {"people": 4, "equipment": ["whiteboard"]})
        assert [room.name for room in page.context_data["rooms"]] == ["Small"]
        assert "finder-none-fit" not in page.content.decode()

    def test_an_overnight_search_books_overnight(self, employee_client):
        RoomFactory(name="Late", capacity=6)
        day = tomorrow_at(0).date()
        after = (day + timedelta(days=1)).isoformat()
        page = employee_client.get(
            reverse("rooms:find"),
            {"date": day.isoformat(), "start_time": "23:00", "end_date": after, "end_time": "01:00", "people": 2},
        )
        assert [room.name for room in page.context_data["rooms"]] == ["Late"]
        assert f"start=23:00&amp;end_date={after}&amp;end=01:00" in page.content.decode()

    def test_bad_input_is_a_form_error(self, employee_client):
        response = employee_client.get(reverse("rooms:find"), {"date": "soon", "start_time": "x", "people": 0})
        assert response.status_code == 200 and response.context_data["form"].errors
        assert "rooms" not in response.context_data

    def test_matches_a_brute_force_check_on_random_data(self):
        rng = random.Random(20261123)
        people = [UserFactory() for _ in range(3)]
        codes = ["projector", "video", "whiteboard"]
        rooms = [
            RoomFactory(
                capacity=rng.choice([2, 4, 6, 8, 12, 20]),
                equipment=rng.sample(codes, rng.randint(0, 3)),
                is_active=rng.random() > 0.1,
            )
            for _ in range(25)
        ]
        for room in rooms:
            for _ in range(rng.randint(0, 6)):
                start = tomorrow_at(8) + timedelta(minutes=15 * rng.randint(0, 40))
                end = start + timedelta(minutes=15 * rng.randint(1, 8))
                if not Booking.objects.filter(room=room, start__lt=end, end__gt=start).exists():
                    BookingFactory(
                        room=room,
                        user=rng.choice(people),
                        start=start,
                        end=end,
                        cancelled_at=timezone.now() if rng.random() < 0.2 else None,
                    )
        for _ in range(40):
            start = tomorrow_at(8) + timedelta(minutes=15 * rng.randint(0, 40))
            end = start + timedelta(minutes=15 * rng.randint(1, 8))
            size = rng.choice([1, 3, 5, 8, 15])
            wanted = rng.sample(codes, rng.randint(0, 2))
            expected = sorted(
                (
                    room
                    for room in Room.objects.all()
                    if room.is_active
                    and room.capacity >= size
                    and set(wanted) <= set(room.equipment)
                    and not any(b.start < end and b.end > start for b in room.bookings.all() if b.cancelled_at is None)
                ),
                key=lambda r: (r.capacity, r.name),
            )
            assert free_rooms(start, end, size, wanted) == expected
            for suggestion in nearest_free_times(start.date(), start, end, size, wanted):
                assert suggestion.end - suggestion.start == end - start
                assert free_rooms(suggestion.start, suggestion.end, size, wanted).count(suggestion.room) == 1

    def test_finder_queries_stay_constant(self, employee_client):
        params = {"date": tomorrow_at(0).date().isoformat(), "start_time": "10:00", "end_time": "11:00", "people": 2}

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                employee_client.get(reverse("rooms:find"), params)
            return len(queries)

        BookingFactory(room=RoomFactory(), start=tomorrow_at(10), end=tomorrow_at(11))
        before = count()
        for _ in range(15):
            BookingFactory(room=RoomFactory(), start=tomorrow_at(10), end=tomorrow_at(11))
        assert count() == before


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=MOSCOW)


class TestUsageReport:
    """Monday 2026-11-02 to Sunday 2026-11-08: five working days of 12 hours = 60 h per room."""

    MONDAY = date(2026, 11, 2)

    def make(self) -> tuple[Room, Room]:
        a, b = RoomFactory(name="A"), RoomFactory(name="B")
        user = UserFactory()
        d = self.MONDAY
        Booking.objects.bulk_create(
            [
                Booking(room=a, user=user, title="1", start=_local(d, 9), end=_local(d, 12)),  # 3 h
                Booking(room=a, user=user, title="2", start=_local(d, 19), end=_local(d, 21)),  # 2 h, 1 h in hours
                Booking(
                    room=a,
                    user=user,
                    title="3",
                    start=_local(d + timedelta(days=5), 10),
                    end=_local(d + timedelta(days=5), 14),
                ),  # Saturday: 4 h, 0 in hours
                Booking(
                    room=a, user=user, title="x", start=_local(d, 14), end=_local(d, 15), cancelled_at=timezone.now()
                ),
                Booking(
                    room=b, user=user, title="4", start=_local(d - timedelta(days=1), 22), end=_local(d, 9)
                ),  # 9 h in the period (from Monday 00:00), 1 h in hours
                Booking(
                    room=b,
                    user=user,
                    title="5",
                    start=_local(d + timedelta(days=9), 10),
                    end=_local(d + timedelta(days=9), 11),
                ),  # outside
            ]
        )
        return a, b

    def test_hand_computed_numbers(self):
        self.make()
        report = reports.usage_report(self.MONDAY, self.MONDAY + timedelta(days=6))
        assert report.working_hours == 60
        rows = {row.room.name: row for row in report.rows}
        assert (rows["A"].bookings, rows["A"].booked_hours, rows["A"].working_hours_booked) == (3, 9.0, 4.0)
        assert rows["A"].percent == pytest.approx(4 / 60 * 100, abs=0.05)
        assert (rows["B"].bookings, rows["B"].booked_hours, rows["B"].working_hours_booked) == (1, 9.0, 1.0)
        assert report.total_bookings == 4 and report.total_hours == 18.0

    def test_only_chosen_rooms(self):
        a, _b = self.make()
        report = reports.usage_report(self.MONDAY, self.MONDAY, [a])
        assert [row.room for row in report.rows] == [a]
        assert report.rows[0].bookings == 2 and report.working_hours == 12

    def test_xlsx_and_csv_open_back(self, admin_client_):
        self.make()
        params = {"start": self.MONDAY.isoformat(), "end": (self.MONDAY + timedelta(days=6)).isoformat()}
        xlsx = admin_client_.get(reverse("rooms:usage_report"), {**params, "export": "xlsx"})
        assert "attachment" in xlsx["Content-Disposition"]
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=1, max_row=3)]
        assert values[0] == ["Room", "Location", "Seats", "Bookings", "Booked hours", "Occupancy, %"]
        assert values[1][0] == "A" and values[1][3:] == [3, 9.0, 6.7]
        assert values[2][0] == "B" and values[2][3:] == [1, 9.0, 1.7]
        csv_text = admin_client_.get(reverse("rooms:usage_report"), {**params, "export": "csv"}).content.decode()
        assert csv_text.splitlines()[1].split(",")[-3:] == ["3", "9.0", "6.7"]

    def test_page_is_for_admins_only(self, admin_client_, employee_client):
        assert admin_client_.get(reverse("rooms:usage_report")).status_code == 200
        assert employee_client.get(reverse("rooms:usage_report")).status_code == 404
        assert employee_client.get(reverse("rooms:usage_report"), {"export": "csv"}).status_code == 404

    def test_bad_period_is_a_form_error(self, admin_client_):
        response = admin_client_.get(reverse("rooms:usage_report"), {"start": "2026-11-10", "end": "2026-11-01"})
        assert "The end must not be before the start." in response.content.decode()
        response = admin_client_.get(reverse("rooms:usage_report"), {"start": "garbage", "end": "", "export": "xlsx"})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/html")

    def test_google_sheets_is_invisible_when_not_configured(self, admin_client_, settings):
        settings.GOOGLE_SERVICE_ACCOUNT_FILE = ""
        assert "Google Sheets" not in admin_client_.get(reverse("rooms:usage_report")).content.decode()
        assert (
            admin_client_.post(reverse("rooms:usage_report"), {"start": "2026-11-01", "end": "2026-11-02"}).status_code
            == 404
        )


@pytest.fixture
def service_account_file(tmp_path, settings):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path = tmp_path / "key.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "office-booking-test",
                "private_key_id": "abc",
                "private_key": pem,
                "client_email": "reports@office-booking-test.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    settings.GOOGLE_SERVICE_ACCOUNT_FILE = str(path)
    settings.GOOGLE_REPORT_SHARE_WITH = "boss@example.com"
    return path


def google_answers() -> HttpMockSequence:
    return HttpMockSequence(
        [
            ({"status": "200"}, json.dumps({"access_token": "fake-token", "expires_in": 3600, "token_type": "Bearer"})),
            (
                {"status": "200"},
                json.dumps(
                    {"spreadsheetId": "sheet123", "spreadsheetUrl": "https://docs.google.com/spreadsheets/d/sheet123"}
                ),
            ),
            ({"status": "200"}, json.dumps({"spreadsheetId": "sheet123", "updatedCells": 18})),
            ({"status": "200"}, json.dumps({"id": "perm1"})),
        ]
    )


def test_google_sheets_export_through_the_client_library(admin_client_, service_account_file, monkeypatch):
    RoomFactory(name="Cedar")
    transport = google_answers()
    monkeypatch.setattr(google_sheets, "make_transport", lambda: transport)
    page = admin_client_.get(reverse("rooms:usage_report")).content.decode()
    assert "Export to Google Sheets" in page
    response = admin_client_.post(
        reverse("rooms:usage_report"), {"start": "2026-11-02", "end": "2026-11-08"}, follow=True
    )
    assert "https://docs.google.com/spreadsheets/d/sheet123" in response.content.decode()
    uris = [request[0] for request in transport.request_sequence]
    assert uris[0] == "https://oauth2.googleapis.com/token"
    assert uris[1].startswith("https://sheets.googleapis.com/v4/spreadsheets")
    assert "/values/A1" in uris[2] and "valueInputOption=RAW" in uris[2]
    assert uris[3].startswith("https://www.googleapis.com/drive/v3/files/sheet123/permissions")
    assert transport.request_sequence[1][3]["authorization"] == "Bearer fake-token"
    values = json.loads(transport.request_sequence[2][2])["values"]
    assert values[0][:2] == ["Room", "Location"] and values[1][0] == "Cedar"


def test_google_sheets_failure_is_a_message_not_an_error(admin_client_, service_account_file, monkeypatch):
    transport = HttpMockSequence([({"status": "500"}, "{}")] * 5)
    monkeypatch.setattr(google_sheets, "make_transport", lambda: transport)
    response = admin_client_.post(
        reverse("rooms:usage_report"), {"start": "2026-11-02", "end": "2026-11-08"}, follow=True
    )
    assert response.status_code == 200
    assert "Google Sheets did not accept the report" in response.content.decode()
    assert len(transport.request_sequence) >= 1


def _reference_usage(bookings, start, end, windows):
    """The report's numbers by brute force: every booking against every window."""
    zone = ZoneInfo(django_settings.BUILDING_TIME_ZONE)
    period_start = datetime.combine(start, time(), tzinfo=zone)
    period_end = datetime.combine(end + timedelta(days=1), time(), tzinfo=zone)
    count, booked, working = 0, 0.0, 0.0
    for b_start, b_end in bookings:
        if b_start >= period_end or b_end <= period_start:
            continue
        count += 1
        # Real hours: Python subtracts two times of one tzinfo on the wall clock, so go through UTC.
        booked += (min(b_end, period_end).astimezone(UTC) - max(b_start, period_start).astimezone(UTC)).total_seconds()
        for open_, close in windows:
            working += max(0.0, (min(b_end, close) - max(b_start, open_)).total_seconds())
    return count, round(booked / 3600, 2), round(working / 3600, 2)


@pytest.mark.parametrize("zone", ["Europe/Moscow", "Europe/Berlin", "America/New_York"])
def test_usage_report_matches_brute_force(settings, zone):
    """Random bookings, some across midnight, around a period that holds clock changes."""
    settings.BUILDING_TIME_ZONE = zone
    rng = random.Random(zone)
    room, user = RoomFactory(), UserFactory()
    tz = ZoneInfo(zone)
    start, end = date(2027, 3, 20), date(2027, 4, 5)
    spans = []
    for index in range(600):
        day = start + timedelta(days=rng.randint(-2, (end - start).days + 2))
        b_start = datetime.combine(day, time(rng.randint(0, 23), rng.choice([0, 15, 30, 45])), tzinfo=tz)
        b_end = b_start + timedelta(minutes=rng.choice([15, 30, 60, 90, 180, 360, 720]))
        if any(s < b_end and b_start < e for s, e in spans):
            continue  # one room: PostgreSQL's exclusion constraint refuses overlaps
        spans.append((b_start, b_end))
        Booking.objects.bulk_create([Booking(room=room, user=user, title=str(index), start=b_start, end=b_end)])
    report = reports.usage_report(start, end, [room])
    [row] = report.rows
    expected = _reference_usage(spans, start, end, reports.working_windows(start, end))
    assert (row.bookings, row.booked_hours, row.working_hours_booked) == expected


def test_usage_report_is_one_grouped_query_whatever_the_bookings(django_assert_num_queries):
    rooms = [RoomFactory(), RoomFactory()]
    user = UserFactory()
    first = date(2027, 1, 4)

    def fill(count: int, skip: int = 0) -> None:
        Booking.objects.bulk_create(
            Booking(
                room=rooms[index % 2],
                user=user,
                title="x",
                start=_local(first + timedelta(days=index // 10), 8 + index % 10),
                end=_local(first + timedelta(days=index // 10), 9 + index % 10),
            )
            for index in range(skip, skip + count)
        )

    fill(10)
    with django_assert_num_queries(1) as captured:
        small = reports.usage_report(first, first + timedelta(days=365), rooms)
    assert "GROUP BY" in captured.captured_queries[0]["sql"]
    fill(400, skip=10)
    with django_assert_num_queries(1):
        large = reports.usage_report(first, first + timedelta(days=365), rooms)
    assert small.total_bookings == 10 and large.total_bookings == 410
