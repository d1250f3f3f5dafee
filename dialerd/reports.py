"""`dialerd report NAME [--campaign C] [--from DAY] [--to DAY] [--format table|csv]`.

Each report is a SQL function (and a view of the same name) of revision 0005; what each
means, with example output, is in docs/reports.md. Days are the customer's local days (the
lead's time zone, UTC when it has none), ``--from`` and ``--to`` both included.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from dialerd.app import database_url as build_url
from dialerd.config import load_main_config
from dialerd.storage import PgStore
from dialerd.storage.reports import PgReports, ReportRows

__all__ = ["REPORTS", "add_command", "format_csv", "format_table"]

# command-line name -> (SQL function and view, one line of help)
REPORTS: dict[str, tuple[str, str]] = {
    "no-answer-by-day": ("report_no_answer_by_day", "NO ANSWER %% per campaign and local day"),
    "no-answer-by-hour": ("report_no_answer_by_hour", "NO ANSWER %% per local hour of day"),
    "no-answer-by-number-type": (
        "report_no_answer_by_number_type",
        "NO ANSWER %% per number type (mobile, landline, unknown)",
    ),
    "no-answer-by-agent": (
        "report_no_answer_by_agent",
        "calls each agent took, sales, and NO ANSWER %% of later calls to their leads",
    ),
    "number-answer-profile": (
        "report_number_answer_profile",
        "each number: never answered, sometimes, always, or stopped answering",
    ),
    "sale-attempt-number": (
        "report_sale_attempt_number",
        "which attempt of a lead led to the sale",
    ),
    "multi-number-leads": (
        "report_multi_number_leads",
        "leads with several numbers: how each number does",
    ),
}
FORMATS = ("table", "csv")

Command = Callable[[argparse.Namespace], int]
MakeCommand = Callable[[str, str, Command], argparse.ArgumentParser]


def add_command(make: MakeCommand) -> None:
    """Register `report`; ``make(name, help, handler)`` adds a command with ``-c``."""
    command = make("report", "print a report on the call attempts", cmd_report)
    listing = "; ".join(f"{name}: {text}" for name, (_, text) in REPORTS.items())
    command.add_argument("name", metavar="NAME", choices=list(REPORTS), help=listing)
    command.add_argument("--campaign", help="one campaign (default: every campaign)")
    command.add_argument(
        "--from", dest="from_day", type=_day, metavar="DAY", help="first day, YYYY-MM-DD"
    )
    command.add_argument(
        "--to", dest="to_day", type=_day, metavar="DAY", help="last day, YYYY-MM-DD"
    )
    command.add_argument("--format", choices=FORMATS, default="table")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def cmd_report(args: argparse.Namespace) -> int:
    if args.from_day and args.to_day and args.from_day > args.to_day:
        print(
            f"dialerd report: --from {args.from_day} is after --to {args.to_day}",
            file=sys.stderr,
        )
        return 2
    config = load_main_config(args.config)
    url = build_url(config.database.url, config.database.reveal())
    function = REPORTS[args.name][0]
    rows = asyncio.run(_fetch(url, function, args.campaign, args.from_day, args.to_day))
    print(format_csv(rows) if args.format == "csv" else format_table(rows), end="")
    return 0


async def _fetch(
    url: str, function: str, campaign: str | None, from_day: date | None, to_day: date | None
) -> ReportRows:
    store = PgStore(url, pool_size=1)
    try:
        return await PgReports(store).fetch(function, campaign, from_day, to_day)
    finally:
        await store.close()


def _text(value: object, empty: str) -> str:
    if value is None:
        return empty
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def format_csv(report: ReportRows) -> str:
    """RFC 4180 CSV with a header row; null is an empty field, times are UTC ISO 8601."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(report.columns)
    writer.writerows([_text(value, "") for value in row] for row in report.rows)
    return out.getvalue()


def format_table(report: ReportRows) -> str:
    """Aligned columns (numbers to the right), a rule under the header; null shows as -."""
    cells = [[_text(value, "-") for value in row] for row in report.rows]
    widths = [
        max([len(name)] + [len(row[i]) for row in cells]) for i, name in enumerate(report.columns)
    ]
    numeric = [_is_numeric(report.rows, i) for i in range(len(report.columns))]
    lines = [_line(report.columns, widths, numeric), "  ".join("-" * w for w in widths)]
    lines += [_line(row, widths, numeric) for row in cells]
    if not report.rows:
        lines.append("(no calls in this period)")
    return "\n".join(lines) + "\n"


def _is_numeric(rows: Sequence[Sequence[object]], column: int) -> bool:
    values = [row[column] for row in rows if row[column] is not None]
    return bool(values) and all(
        isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in values
    )


def _line(values: Sequence[str], widths: Sequence[int], numeric: Sequence[bool]) -> str:
    padded = (
        value.rjust(width) if right else value.ljust(width)
        for value, width, right in zip(values, widths, numeric, strict=True)
    )
    return "  ".join(padded).rstrip()
