"""The report printer: aligned table and CSV from rows, whatever the report."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from dialerd.reports import format_csv, format_table
from dialerd.storage.reports import ReportRows

KYIV = timezone(timedelta(hours=2))
ROWS = ReportRows(
    ("campaign", "agent", "day", "calls", "pct", "last_answered_at"),
    (
        ("spring", "agent01", date(2026, 12, 1), 12, Decimal("8.3"), None),
        ("spring, east", None, date(2026, 12, 2), 7, None, datetime(2026, 12, 1, 14, tzinfo=KYIV)),
    ),
)


def test_table_aligns_numbers_right_and_shows_null_as_a_dash() -> None:
    assert format_table(ROWS).splitlines() == [
        "campaign      agent    day         calls  pct  last_answered_at",
        "------------  -------  ----------  -----  ---  -------------------------",
        "spring        agent01  2026-12-01     12  8.3  -",
        "spring, east  -        2026-12-02      7    -  2026-12-01T12:00:00+00:00",
    ]


def test_csv_quotes_commas_leaves_null_empty_and_writes_times_in_utc() -> None:
    assert format_csv(ROWS).splitlines() == [
        "campaign,agent,day,calls,pct,last_answered_at",
        "spring,agent01,2026-12-01,12,8.3,",
        '"spring, east",,2026-12-02,7,,2026-12-01T12:00:00+00:00',
    ]


def test_an_empty_report_says_so() -> None:
    empty = ReportRows(("campaign", "calls"), ())
    assert format_table(empty).splitlines()[-1] == "(no calls in this period)"
    assert format_csv(empty) == "campaign,calls\n"
