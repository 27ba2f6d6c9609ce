"""Optional export of the usage report to Google Sheets, as the origin system did.

On only when ``GOOGLE_SERVICE_ACCOUNT_FILE`` names a service-account key. Uses
Google's own client library; ``make_transport`` is the HTTP layer, which tests
replace with the library's ``HttpMockSequence``.
"""

from typing import Any

import google_auth_httplib2
import httplib2
from django.conf import settings
from google.oauth2 import service_account
from googleapiclient.discovery import build

from rooms.reports import UsageReport

SCOPES = ["https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive.file"]


def is_enabled() -> bool:
    return bool(settings.GOOGLE_SERVICE_ACCOUNT_FILE)


def make_transport() -> Any:
    return httplib2.Http(timeout=30)


def _authorized_http(transport: Any) -> google_auth_httplib2.AuthorizedHttp:
    credentials = service_account.Credentials.from_service_account_file(
        settings.GOOGLE_SERVICE_ACCOUNT_FILE, scopes=SCOPES
    )
    return google_auth_httplib2.AuthorizedHttp(credentials, http=transport)


def export_report(report: UsageReport, title: str) -> str:
    """Create a spreadsheet holding ``report``, share it when configured, and return its address."""
    http = _authorized_http(make_transport())
    sheets = build("sheets", "v4", http=http, cache_discovery=False)
    spreadsheet = (
        sheets.spreadsheets()
        .create(body={"properties": {"title": title}}, fields="spreadsheetId,spreadsheetUrl")
        .execute()
    )
    spreadsheet_id = spreadsheet["spreadsheetId"]
    sheets.spreadsheets().values().update(
        spreadsheetId=spreadsheet_id,
        range="A1",
        valueInputOption="RAW",
        body={
            "values": [
                [str(cell) if not isinstance(cell, int | float) else cell for cell in row] for row in report.table()
            ]
        },
    ).execute()
    share_with = settings.GOOGLE_REPORT_SHARE_WITH
    if share_with:
        drive = build("drive", "v3", http=http, cache_discovery=False)
        drive.permissions().create(
            fileId=spreadsheet_id, body={"type": "user", "role": "writer", "emailAddress": share_with}, fields="id"
        ).execute()
    return spreadsheet["spreadsheetUrl"]
