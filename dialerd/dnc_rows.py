"""Do-not-call entries as people write them (CLI arguments, CSV rows), checked. Pure.

A number becomes E.164 with phonenumbers (the region stands for numbers written without a
country code); a lead id is a positive integer; an expiry is ISO 8601, a date meaning its
midnight UTC and a time without an offset meaning UTC. Anything else is an ``InvalidEntry``
whose message says what to fix. A reason holding a NUL byte (PostgreSQL text cannot) or
longer than MAX_REASON_CHARS is one too, and so is a CSV record the csv module cannot read
(a value over its field limit): that row is reported, the next one read as usual.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import phonenumbers

from dialerd.errors import DialerdError

__all__ = ["DncRequest", "InvalidEntry", "parse_expiry", "parse_number", "read_csv"]

COLUMNS = frozenset({"number", "lead_id", "expires_at", "reason"})
MAX_REASON_CHARS = 1000


class InvalidEntry(DialerdError):
    """A do-not-call entry that cannot be used as written."""


@dataclass(frozen=True, slots=True)
class DncRequest:
    """An entry to add or remove: exactly one of ``number`` and ``lead_id``."""

    number: str | None
    lead_id: int | None
    reason: str = ""
    expires_at: datetime | None = None


def parse_number(text: str, region: str | None) -> str:
    try:
        parsed = phonenumbers.parse(text.strip(), region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidEntry(f"number {text!r}: {exc}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidEntry(f"number {text!r}: not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def parse_lead_id(text: str) -> int:
    digits = text.strip()
    # isdigit() alone takes "²", which int() refuses; decimal digits of any script int() reads
    if not digits.isdecimal() or int(digits) < 1 or int(digits) >= 2**63:
        raise InvalidEntry(f"lead_id {text!r}: expected a positive whole number")
    return int(text)


def parse_expiry(text: str, now: datetime) -> datetime | None:
    """An aware UTC instant in the future, or None for an empty value (never expires)."""
    if not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidEntry(
            f"expires_at {text!r}: expected a date or time, e.g. 2027-06-30 or 2027-06-30T18:00Z"
        ) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        value = value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-05:00 is past the last year datetime has
        raise InvalidEntry(f"expires_at {text!r}: too far in the future") from None
    if value <= now:
        raise InvalidEntry(f"expires_at {text!r}: already in the past")
    return value


def parse_row(row: dict[str, str], region: str | None, now: datetime) -> DncRequest:
    number, lead_id = row.get("number", "").strip(), row.get("lead_id", "").strip()
    if bool(number) == bool(lead_id):
        raise InvalidEntry("give exactly one of number and lead_id")
    return DncRequest(
        number=parse_number(number, region) if number else None,
        lead_id=parse_lead_id(lead_id) if lead_id else None,
        reason=parse_reason(row.get("reason", "")),
        expires_at=parse_expiry(row.get("expires_at", ""), now),
    )


def parse_reason(text: str) -> str:
    reason = text.strip()
    if "\0" in reason:
        raise InvalidEntry("reason: contains a NUL byte (0x00), which cannot be stored")
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidEntry(f"reason: {len(reason)} characters, more than {MAX_REASON_CHARS}")
    return reason


def read_csv(
    path: Path, region: str | None, now: datetime
) -> Iterator[tuple[int, DncRequest | InvalidEntry]]:
    """(row number, entry or why not) for every non-blank row; the header is row 1.

    Rows are counted as a spreadsheet shows them, blank ones included (csv.DictReader skips
    blank lines without counting them, which would shift every number after one).
    """
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = csv.reader(handle)
        try:
            header = [name.strip().lower() for name in next(rows, [])]
        except csv.Error as exc:
            raise InvalidEntry(f"{path}: row 1: unreadable CSV record: {exc}") from None
        _check_header(path, header)
        for index, cells in enumerate(_records(rows), start=2):
            if isinstance(cells, csv.Error):
                yield index, InvalidEntry(f"unreadable CSV record: {cells}")
                continue
            if not any(cell.strip() for cell in cells):
                continue
            row = dict(zip(header, cells, strict=False))
            try:
                yield index, parse_row(row, region, now)
            except InvalidEntry as exc:
                yield index, exc


def _records(rows: Iterator[list[str]]) -> Iterator[list[str] | csv.Error]:
    """Each record, or the error for one the csv module cannot read (it goes on after it)."""
    while True:
        try:
            yield next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            yield exc


def _check_header(path: Path, header: list[str]) -> None:
    names = set(header)
    if not names & {"number", "lead_id"} or names - COLUMNS:
        raise InvalidEntry(
            f"{path}: row 1: the header needs number and/or lead_id, and may have "
            f"expires_at and reason (found: {', '.join(header) or 'nothing'})"
        )
