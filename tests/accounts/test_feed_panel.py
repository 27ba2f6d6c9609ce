"""The profile's calendar subscription panel: the personal feed as a webcal:// link and an
https:// address, a QR code of the webcal one (read back with tests/accounts/qr_read.py, a
reader independent of the library that draws it), how-tos per client, and the reset."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from accounts.qr import qr_svg
from tests.accounts.qr_read import read_qr_svg

pytestmark = pytest.mark.django_db

PROFILE = "/accounts/profile/"


class Tags(HTMLParser):
    """Every start tag's attributes, and the text inside each <summary>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.summaries: list[str] = []
        self._in_summary = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_summary = tag == "summary"
        if tag == "summary":
            self.summaries.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "summary":
            self._in_summary = False

    def handle_data(self, data: str) -> None:
        if self._in_summary:
            self.summaries[-1] += data

    def find(self, tag: str, **wanted: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag and all(attrs.get(k) == v for k, v in wanted.items())]

    def one(self, tag: str, **wanted: str) -> dict[str, str | None]:
        found = self.find(tag, **wanted)
        assert len(found) == 1, f"one <{tag} {wanted}>, found {len(found)}"
        return found[0]


def panel_of(html: str) -> str:
    """The calendar card's markup, from its opening tag to the next card."""
    start = html.index('id="calendar-feed"')
    return html[start : html.index('id="api-tokens"', start)]


def read_panel(client: Client, **extra) -> dict:
    response = client.get(PROFILE, **extra)
    assert response.status_code == 200
    html = response.content.decode()
    panel = panel_of(html)
    tags = Tags()
    tags.feed(panel)
    svgs = re.findall(r"<svg\b.*?</svg>", panel, flags=re.S)
    assert len(svgs) == 1, f"one QR code in the panel, found {len(svgs)}"
    return {
        "response": response,
        "html": html,
        "panel": panel,
        "tags": tags,
        "https": re.search(r'<textarea[^>]*id="feed-url"[^>]*>([^<]*)</textarea>', panel)[1],
        "webcal": tags.one("a", id="feed-subscribe")["href"],
        "svg": svgs[0],
    }


def feed_address(user, scheme: str = "http") -> str:
    return f"{scheme}://testserver/calendar/{user.calendar_token}.ics"


def test_the_panel_offers_ones_own_feed_as_https_and_webcal(employee_client, employee, other_employee, client):
    panel = read_panel(employee_client)
    assert panel["https"] == feed_address(employee)
    assert panel["webcal"] == feed_address(employee, "webcal")
    https, webcal = urlsplit(panel["https"]), urlsplit(panel["webcal"])
    assert (webcal.scheme, webcal.netloc, webcal.path) == ("webcal", https.netloc, https.path)
    assert other_employee.calendar_token not in panel["html"]
    # The address shown is the feed itself, for anyone holding it, no login needed.
    response = client.get(https.path)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")


def test_behind_https_the_address_is_https_and_the_link_webcal(employee_client, employee):
    panel = read_panel(employee_client, secure=True)
    assert panel["https"] == feed_address(employee, "https")
    assert panel["webcal"] == feed_address(employee, "webcal")


def test_the_qr_code_holds_exactly_the_webcal_address(employee_client, employee):
    """A phone's camera opens a webcal address in the calendar app as a subscription."""
    panel = read_panel(employee_client, secure=True)
    symbol = read_qr_svg(panel["svg"])
    assert symbol.text == panel["webcal"] == feed_address(employee, "webcal")
    # Small enough for a phone's camera at arm's length, sturdy enough for a smudged screen.
    assert symbol.version <= 6, symbol
    assert symbol.level in ("M", "Q", "H"), symbol
    assert symbol.quiet_zone >= 4, symbol
    svg = panel["svg"]
    opening = svg[: svg.index(">") + 1]
    assert 'role="img"' in opening
    label = re.search(r'aria-label="([^"]+)"', opening)
    assert label and "QR" in label[1]
    width, height = (int(re.search(rf'{side}="(\d+)"', opening)[1]) for side in ("width", "height"))
    assert width == height and 140 <= width <= 200, opening
    assert '<path fill="#fff" d="M0 0h' in svg, "a white square under the code and its quiet zone"


def test_each_person_gets_a_qr_code_of_their_own(employee_client, other_client, employee, other_employee):
    mine = read_qr_svg(read_panel(employee_client)["svg"]).text
    theirs = read_qr_svg(read_panel(other_client)["svg"]).text
    assert mine == feed_address(employee, "webcal") and theirs == feed_address(other_employee, "webcal")


def test_a_reset_changes_links_and_qr_code_and_the_old_feed_is_gone(employee, client):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(employee)
    before = read_panel(browser)
    old_path = urlsplit(before["https"]).path
    form = before["tags"].one("form", id="feed-reset-form")
    assert form["method"] == "post" and form["action"] == reverse("events:calendar_reset")
    csrf = before["tags"].one("input", name="csrfmiddlewaretoken")["value"]
    assert client.get(old_path).status_code == 200

    response = browser.post(form["action"], {"csrfmiddlewaretoken": csrf})
    assert response.status_code == 302 and response["Location"] == PROFILE + "#calendar-feed"

    employee.refresh_from_db()
    after = read_panel(browser)
    assert after["https"] == feed_address(employee) != before["https"]
    assert after["webcal"] == feed_address(employee, "webcal") != before["webcal"]
    assert read_qr_svg(after["svg"]).text == after["webcal"]
    assert after["svg"] != before["svg"]
    assert client.get(old_path).status_code == 404
    assert client.get(urlsplit(after["https"]).path).status_code == 200


def test_the_reset_says_what_it_breaks_and_asks_first(employee_client):
    panel = read_panel(employee_client)
    text = re.sub(r"\s+", " ", panel["panel"])
    assert "The old one stops working at once, and every app subscribed to it must be given the new one." in text
    button = panel["tags"].one("button", type="submit")
    assert button["data-confirm"], "the site's confirm pattern (static/js/site.js), no inline script"


def test_how_tos_are_collapsed_details_per_client(employee_client):
    panel = read_panel(employee_client)
    details = panel["tags"].find("details")
    assert len(details) == 4
    assert all("open" not in attrs for attrs in details), "collapsed until asked for"
    assert [s.strip() for s in panel["tags"].summaries] == [
        "Outlook",
        "Google Calendar",
        "Apple Calendar",
        "Thunderbird",
    ]
    text = re.sub(r"<[^>]+>", "", panel["panel"])
    for step in (
        "Subscribe from web",
        "From Internet",
        "From URL",
        "every several hours",
        "New Calendar Subscription",
        "Add Subscribed Calendar",
        "On the Network",
    ):
        assert step in text, step


def test_the_panel_says_what_the_feed_holds_and_how_often_it_refreshes(employee_client):
    text = re.sub(r"\s+", " ", read_panel(employee_client)["panel"])
    for words in ("your bookings", "the events you attend or organize", "as tentative", "every 15 minutes"):
        assert words in text, words


def test_copy_button_needs_the_sites_script_and_no_inline_one(employee_client):
    panel = read_panel(employee_client)
    button = panel["tags"].one("button", id="feed-copy")
    assert "hidden" in button, "without JavaScript there is no dead button; the field stays selectable"
    assert button["data-copy-target"] == "#feed-url" and button["data-copied"]
    assert "readonly" in panel["tags"].one("textarea", id="feed-url")
    page = Tags()
    page.feed(panel["html"])
    scripts = page.find("script")
    assert scripts and all(attrs.get("src") for attrs in scripts), "no inline <script>"
    assert "script-src 'self'" in panel["response"]["Content-Security-Policy"]


def test_the_page_with_the_secret_address_is_never_cached(employee_client):
    cache_control = read_panel(employee_client)["response"]["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control


def test_the_panel_renders_in_russian(employee_client, employee):
    employee.language = "ru"
    employee.save(update_fields=["language"])
    panel = read_panel(employee_client)
    assert '<html lang="ru">' in panel["html"]
    assert read_qr_svg(panel["svg"]).text == panel["webcal"] == feed_address(employee, "webcal")


def test_qr_svg_escapes_its_label_and_sizes_in_whole_pixels_per_module():
    svg = str(qr_svg("https://example.com/a", label='Code "<b>" & co', size=160))
    assert 'aria-label="Code &quot;&lt;b&gt;&quot; &amp; co"' in svg
    width = int(re.search(r'width="(\d+)"', svg)[1])
    modules = int(re.search(r'viewBox="0 0 (\d+) ', svg)[1])
    assert width % modules == 0 and abs(width - 160) <= modules
    assert read_qr_svg(svg).text == "https://example.com/a"
