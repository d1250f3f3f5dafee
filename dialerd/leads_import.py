"""Import a lead list (CSV or XLSX) into a campaign: ``dialerd leads import CAMPAIGN FILE``.

The header row names the columns, in any case and order:

* ``external_id`` — the customer's id in the caller's own system (optional);
* ``name``; ``time_zone`` (IANA, e.g. ``Europe/Kyiv``);
* ``call_window`` (``09:00-18:00``) or ``call_window_start`` and ``call_window_end``;
* ``phone``, ``phone1`` … ``phoneN`` (one number each) and ``phones`` (several, split by ``|`` or
  ``;``) — dialled in the order they appear, left to right;
* any other column is kept in the lead's custom ``fields``.

Numbers become E.164 with phonenumbers, the campaign's region standing for numbers written
without a country code. Rows that name the same ``external_id`` — or, without one, start with the
same number — are one lead: their numbers are united in order and later values win. A row is
rejected, with its row number (the header is row 1) and a reason, when it has no valid number or
a bad time zone or call window; a row keeping some of its numbers gets a warning for each number
it lost. A row is also rejected when a value holds a NUL byte (PostgreSQL text cannot) or is
longer than a spreadsheet cell can be (32,767 characters); any other text — quotes, SQL,
CR/LF, ``Action:`` lines — is stored as written, never interpreted. A file that is not
UTF-8 is refused whole, naming the first line with a bad byte (it was saved in another
encoding: importing the rows that happen to decode would garble the rest). Blank rows are
skipped. Parsing runs in a process pool for big files (phonenumbers costs
tens of microseconds a number); loading is one COPY-based transaction
(:mod:`dialerd.storage.lead_loader`).
"""

from __future__ import annotations

import asyncio
import csv
import functools
import io
import itertools
import os
import re
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from multiprocessing import get_context
from pathlib import Path
from typing import TypeVar
from zipfile import BadZipFile
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import openpyxl  # type: ignore[import-untyped]  # no inline types; only read through _xlsx_rows
import phonenumbers
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]
from phonenumbers import NumberParseException, PhoneNumberType

from dialerd.domain import PhoneType
from dialerd.storage.lead_loader import open_lead_loader
from dialerd.storage.lead_records import LeadRecord, LoadCounts
from dialerd.storage.lead_staging import StagedChunk, stage_leads

__all__ = [
    "ImportProgress",
    "ImportReport",
    "LeadFileError",
    "ParsedRow",
    "RejectedRow",
    "import_leads",
    "normalise_number",
    "parse_block",
    "parse_lead_file",
    "parse_row",
    "resolve_columns",
]

_T = TypeVar("_T")
CHUNK_ROWS = 20_000
MAX_CELL_CHARS = 32_767  # the most an Excel cell holds; csv's own limit (128 KiB) is above it
MAX_COLUMN_NAME_CHARS = 200
POOL_MIN_BYTES = 2_000_000  # below this a process pool costs more than it saves
_SPLIT_NUMBERS = re.compile(r"[|;]")
_INTERNATIONAL = re.compile(r"\s*\+\s*[1-9][0-9 ().-]*")
_NOT_DIGIT = re.compile(r"[^0-9]")
_PHONE_N = re.compile(r"phone\d+")
_WINDOW = re.compile(r"\s*(\d{1,2}):(\d{2})\s*[-\u2013\u2014]\s*(\d{1,2}):(\d{2})\s*")
_LEAD_COLUMNS = ("external_id", "name", "time_zone", "call_window")
_PHONE_TYPES = {
    PhoneNumberType.MOBILE: PhoneType.MOBILE,
    PhoneNumberType.FIXED_LINE: PhoneType.LANDLINE,
}
_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}


_EMPTY = StagedChunk(leads=b"", phones=b"", count=0, folded=0)


class LeadFileError(Exception):
    """The file as a whole cannot be imported (unreadable, not UTF-8, no phone column…)."""


class InvalidValue(ValueError):
    """One value of a row is unusable; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Columns:
    """Where each known column sits in the header; what is left goes to custom fields."""

    width: int
    phones: tuple[tuple[int, bool], ...]  # (index, holds several numbers) in header order
    names: tuple[str, ...]  # as the header writes them, for messages
    fields: tuple[tuple[int, str], ...]
    external_id: int | None = None
    name: int | None = None
    time_zone: int | None = None
    call_window: int | None = None
    call_window_start: int | None = None
    call_window_end: int | None = None


@dataclass(frozen=True, slots=True)
class ParsedRow:
    row: int
    lead: LeadRecord
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RejectedRow:
    row: int
    reason: str


@dataclass(frozen=True, slots=True)
class ImportProgress:
    stage: str  # "loading" while rows are read and written, then "done"
    rows: int  # data rows read so far


@dataclass(frozen=True, slots=True)
class ImportReport:
    rows: int  # data rows in the file (after the header), blank ones included
    imported: int  # new leads
    merged: int  # rows merged into an earlier row's lead or into a lead the campaign had
    phones_added: int
    rejected: tuple[tuple[int, str], ...]  # (row number, reason)
    warnings: tuple[tuple[int, str], ...]

    def summary(self) -> str:
        return (
            f"{self.rows} rows: {self.imported} leads imported, {self.merged} merged, "
            f"{len(self.rejected)} rejected, {len(self.warnings)} warnings; "
            f"{self.phones_added} numbers added"
        )


def resolve_columns(header: Sequence[str]) -> Columns:
    """Map a header row to :class:`Columns`; raises :class:`LeadFileError` when unusable."""
    names = [cell.strip() for cell in header]
    while names and not names[-1]:
        names.pop()
    keys = [name.lower() for name in names]
    phones = tuple(
        (i, key == "phones")
        for i, key in enumerate(keys)
        if key in ("phone", "phones") or _PHONE_N.fullmatch(key)
    )
    if problems := _header_problems(keys, phones):
        raise LeadFileError("; ".join(problems))
    known = {*_LEAD_COLUMNS, "call_window_start", "call_window_end"}
    phone_at = {i for i, _ in phones}
    fields = [(i, names[i]) for i, key in enumerate(keys) if key not in known | {""}]
    return Columns(
        width=len(names),
        phones=phones,
        names=tuple(names),
        fields=tuple((i, name) for i, name in fields if i not in phone_at),
        **{key: keys.index(key) for key in known if key in keys},
    )


def _header_problems(keys: list[str], phones: tuple[tuple[int, bool], ...]) -> list[str]:
    problems = [f"column {i + 1} has no name" for i, key in enumerate(keys) if not key]
    problems += [
        f"column {i + 1} has a name with a NUL byte or over {MAX_COLUMN_NAME_CHARS} characters"
        for i, key in enumerate(keys)
        if "\0" in key or len(key) > MAX_COLUMN_NAME_CHARS
    ]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    problems += [f"column {key!r} appears twice" for key in twice]
    if not phones:
        problems.append("no phone column: name one `phone`, `phones` or `phone1`, `phone2`…")
    if "call_window" in keys and ("call_window_start" in keys or "call_window_end" in keys):
        problems.append("give either `call_window` or `call_window_start`/`_end`, not both")
    return problems


def normalise_number(raw: str, region: str) -> tuple[str, PhoneType]:
    """E.164 and the type of one number, or :class:`InvalidValue` saying why not."""
    number = _plain_international(raw, region)
    # number_type is UNKNOWN exactly when is_valid_number is false: one call, half the cost.
    if number is None or (kind := phonenumbers.number_type(number)) == PhoneNumberType.UNKNOWN:
        try:
            number = phonenumbers.parse(raw, region)
        except NumberParseException as exc:
            reason = _PARSE_ERRORS.get(exc.error_type, str(exc))
            raise InvalidValue(f'phone "{raw}": {reason}') from None
        kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.UNKNOWN:
        if number.country_code == phonenumbers.country_code_for_region(region):
            raise InvalidValue(f'phone "{raw}": not a valid number for region {region}')
        where = f"country code +{number.country_code}"
        raise InvalidValue(f'phone "{raw}": not a valid number for {where}')
    e164 = f"+{number.country_code}{phonenumbers.national_significant_number(number)}"
    return e164, _PHONE_TYPES.get(kind, PhoneType.UNKNOWN)


def _plain_international(raw: str, region: str) -> phonenumbers.PhoneNumber | None:
    """``+<country code><number>`` split without phonenumbers.parse, when that is safe.

    parse() is most of the cost of an import. For a plain international number it would only
    split off the country code — and strip a national prefix if the rest began with one, which
    this declines (returns None) to decide, as it does anything but digits and separators. A
    result that number_type finds invalid is parsed again the long way, so this can only
    speed up valid numbers, never change a verdict (a property test holds it to parse()).
    """
    if _INTERNATIONAL.fullmatch(raw) is None:
        return None
    digits = _NOT_DIGIT.sub("", raw)
    for size in (1, 2, 3):
        country_code = int(digits[:size])
        if country_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            rest = digits[size:]
            prefixes = _national_prefixes(country_code, region)
            if prefixes is None or rest[:1] in ("", "0") or rest.startswith(prefixes):
                return None
            return phonenumbers.PhoneNumber(country_code=country_code, national_number=int(rest))
    return None


@functools.cache
def _national_prefixes(country_code: int, region: str) -> tuple[str, ...] | None:
    """The national prefixes parse() would strip after this country code, when they are plain
    digits (``0``; ``0|180020`` for GB); None when they are a pattern."""
    if phonenumbers.country_code_for_region(region) != country_code:
        region = phonenumbers.region_code_for_country_code(country_code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    pattern = metadata.national_prefix_for_parsing if metadata else None
    if pattern is None:
        return ()
    prefixes = tuple(pattern.split("|"))
    return prefixes if all(prefix.isdigit() for prefix in prefixes) else None


def parse_row(
    columns: Columns, region: str, row: int, cells: Sequence[str]
) -> ParsedRow | RejectedRow:
    """One data row as a lead, or the reasons it cannot be one (several joined by '; ')."""

    def cell(index: int | None) -> str:
        return cells[index].strip() if index is not None and index < len(cells) else ""

    if unstorable := _unstorable(columns, cells):
        return RejectedRow(row, "; ".join(unstorable))
    problems = [] if len(cells) <= columns.width else _surplus(cells, columns.width)
    phones, lost = _phones(columns, region, cells, problems)
    time_zone = _checked(problems, _time_zone, cell(columns.time_zone))
    window_cells = (columns.call_window, columns.call_window_start, columns.call_window_end)
    window = _checked(problems, _window, *map(cell, window_cells))
    if problems:
        return RejectedRow(row, "; ".join(problems))
    lead = LeadRecord(
        phones=phones,
        external_id=cell(columns.external_id) or None,
        name=cell(columns.name),
        time_zone=time_zone,
        call_window=window,
        fields={name: value for index, name in columns.fields if (value := cell(index))},
    )
    return ParsedRow(row, lead, tuple(f"{reason}; kept the row's other numbers" for reason in lost))


def _unstorable(columns: Columns, cells: Sequence[str]) -> list[str]:
    """Values the database cannot keep as written (NUL) or no spreadsheet could hold."""
    problems = []
    for index, value in enumerate(cells):
        name = columns.names[index] if index < len(columns.names) else f"column {index + 1}"
        if "\0" in value:
            problems.append(f"{name}: contains a NUL byte (0x00), which cannot be stored")
        if len(value) > MAX_CELL_CHARS:
            problems.append(f"{name}: {len(value)} characters, more than {MAX_CELL_CHARS}")
    return problems


def _surplus(cells: Sequence[str], width: int) -> list[str]:
    if not any(value.strip() for value in cells[width:]):
        return []  # spreadsheets often carry empty cells past the last column
    return [f"{len(cells)} values but the header names {width} columns (check delimiter, quotes)"]


def parse_block(
    columns: Columns, region: str, delimiter: str, payload: str | list[list[str]]
) -> ParsedChunk:
    """Parse consecutive records (a worker process's unit of work) and stage their leads.

    ``payload``: CSV text holding whole records, or rows already read from a spreadsheet.
    Row numbers in the result count from 0 at the block's first record; blank rows are skipped.
    """
    rows = (
        csv.reader(io.StringIO(payload, newline=""), delimiter=delimiter)
        if isinstance(payload, str)
        else payload
    )
    chunk = ParsedChunk()
    leads: list[LeadRecord] = []
    for offset, cells in enumerate(_records(rows)):
        chunk.records += 1
        if isinstance(cells, csv.Error):
            chunk.rejected.append((offset, f"unreadable CSV record: {cells}"))
            continue
        if not any(value.strip() for value in cells):
            continue
        parsed = parse_row(columns, region, offset, cells)
        if isinstance(parsed, RejectedRow):
            chunk.rejected.append((offset, parsed.reason))
        else:
            leads.append(parsed.lead)
            chunk.warnings.extend((offset, warning) for warning in parsed.warnings)
    chunk.staged = stage_leads(leads)
    return chunk


def _records(rows: Iterable[list[str]]) -> Iterator[list[str] | csv.Error]:
    """Each record, or the csv module's error for one it cannot read (a value longer than
    its field limit): the reader goes on at the next line, so one record is lost, reported."""
    records = iter(rows)
    while True:
        try:
            yield next(records)
        except StopIteration:
            return
        except csv.Error as exc:
            yield exc


def _phones(
    columns: Columns, region: str, cells: Sequence[str], problems: list[str]
) -> tuple[tuple[tuple[str, PhoneType], ...], list[str]]:
    """The row's valid numbers in order without repeats, and why each invalid one was dropped."""
    found: dict[str, PhoneType] = {}
    invalid: list[str] = []
    for index, several in columns.phones:
        value = cells[index].strip() if index < len(cells) else ""
        for raw in _SPLIT_NUMBERS.split(value) if several else [value]:
            if raw := raw.strip():
                try:
                    number, kind = normalise_number(raw, region)
                    found.setdefault(number, kind)
                except InvalidValue as exc:
                    invalid.append(str(exc))
    if not found:
        problems.extend(invalid or ["no phone number"])
        return (), []
    return tuple(found.items()), invalid


def _checked(problems: list[str], parse: Callable[..., _T], *args: str) -> _T | None:
    try:
        return parse(*args)
    except InvalidValue as exc:
        problems.append(str(exc))
        return None


@functools.lru_cache(maxsize=1024)
def _time_zone(name: str) -> str | None:
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(
            f'time_zone "{name}": not a known IANA time zone (e.g. Europe/Kyiv)'
        ) from None
    return name


def call_window_of(text: str) -> tuple[time, time] | None:
    """``HH:MM-HH:MM`` as the lead's preferred window (the file's and the API's rule);
    empty: none. Raises InvalidValue saying what is wrong."""
    return _window(text, "", "")


def _window(window: str, start: str, end: str) -> tuple[time, time] | None:
    if not window and (start or end):
        if not (start and end):
            missing = "call_window_end" if start else "call_window_start"
            raise InvalidValue(f"{missing} is empty but its pair is set")
        window = f"{start}-{end}"
    if not window:
        return None
    match = _WINDOW.fullmatch(window)
    if match is None:
        raise InvalidValue(f'call_window "{window}": expected HH:MM-HH:MM, e.g. 09:00-18:00')
    hour, minute, end_hour, end_minute = (int(part) for part in match.groups())
    if hour > 23 or end_hour > 23 or minute > 59 or end_minute > 59:
        raise InvalidValue(f'call_window "{window}": not a time of day')
    if (hour, minute) == (end_hour, end_minute):
        raise InvalidValue(f'call_window "{window}": starts and ends at the same time')
    return time(hour, minute), time(end_hour, end_minute)


async def import_leads(
    url: str,
    campaign_name: str,
    path: str | os.PathLike[str],
    default_region: str,
    *,
    on_progress: Callable[[ImportProgress], None] | None = None,
    workers: int | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Read, check and merge the file's leads into the campaign (created if new).

    ``workers``: parsing processes; ``None`` picks one per CPU for files over 2 MB, none below.
    Raises :class:`LeadFileError` for a file that cannot be read as a lead list, and
    :class:`dialerd.storage.StorageError` when the database fails (nothing is then written).
    """
    source = Path(path)
    region = default_region.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise LeadFileError(f"{default_region!r} is not a region phonenumbers knows (e.g. UA, US)")
    if workers is None:
        workers = (os.cpu_count() or 1) if _size(source) >= POOL_MIN_BYTES else 0
    header, delimiter, payloads = _open_table(source)
    parse = functools.partial(parse_block, _columns(source, header), region, delimiter)
    tally = _Tally(on_progress or (lambda _: None))
    async with open_lead_loader(url, campaign_name, now or datetime.now(UTC)) as loader:
        async for chunk in _parse_in_order(payloads, parse, workers):
            tally.take(chunk)
            tally.counts += await loader.load(chunk.staged)
    tally.notify(ImportProgress("done", tally.rows))
    return ImportReport(
        rows=tally.rows,
        imported=tally.counts.new_leads,
        merged=tally.counts.merged,
        phones_added=tally.counts.phones_added,
        rejected=tuple(tally.rejected),
        warnings=tuple(tally.warnings),
    )


def parse_lead_file(path: str | os.PathLike[str], region: str) -> Iterator[ParsedChunk]:
    """The file's chunks parsed here and now, as ``import_leads`` does without workers (and
    without a database); :class:`LeadFileError` for a file that is not a lead list."""
    source = Path(path)
    header, delimiter, payloads = _open_table(source)
    parse = functools.partial(parse_block, _columns(source, header), region.upper(), delimiter)
    return map(parse, payloads)


@dataclass
class ParsedChunk:
    records: int = 0  # records read, blank ones included
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (offset in chunk, reason)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    staged: StagedChunk = _EMPTY


@dataclass
class _Tally:
    """What the import has seen so far; turns chunk offsets into file row numbers."""

    notify: Callable[[ImportProgress], None]
    counts: LoadCounts = field(default_factory=LoadCounts)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    rows: int = 0

    def take(self, chunk: ParsedChunk) -> None:
        first_row = self.rows + 2  # the header is row 1
        self.rejected.extend((first_row + offset, reason) for offset, reason in chunk.rejected)
        self.warnings.extend((first_row + offset, text) for offset, text in chunk.warnings)
        self.rows += chunk.records
        self.notify(ImportProgress("loading", self.rows))


def _size(source: Path) -> int:
    try:
        return source.stat().st_size
    except OSError as exc:
        raise LeadFileError(f"{source}: {exc.strerror}") from None


def _columns(source: Path, header: Sequence[str]) -> Columns:
    try:
        return resolve_columns(header)
    except LeadFileError as exc:
        raise LeadFileError(f"{source}: header (row 1): {exc}") from None


Payload = str | list[list[str]]


async def _parse_in_order(
    payloads: Iterator[Payload], parse: Callable[[Payload], ParsedChunk], workers: int
) -> AsyncIterator[ParsedChunk]:
    """Parsed chunks in file order, computed ``workers`` at a time in other processes."""
    if workers <= 0:
        for payload in payloads:
            yield parse(payload)
        return
    loop = asyncio.get_running_loop()
    # Nice workers: PostgreSQL writing the chunks is the slower side and shares the CPUs.
    context = get_context("spawn")
    with ProcessPoolExecutor(workers, context, initializer=os.nice, initargs=(5,)) as pool:
        pending: deque[asyncio.Future[ParsedChunk]] = deque()
        for payload in payloads:
            pending.append(loop.run_in_executor(pool, parse, payload))
            if len(pending) > 2 * workers:
                yield await pending.popleft()
        while pending:
            yield await pending.popleft()


def _open_table(source: Path) -> tuple[list[str], str, Iterator[Payload]]:
    """The header row, the CSV delimiter, and the data records in chunks."""
    suffix = source.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(source)
        header = next(rows, None)
        chunks: Iterator[Payload] = iter(lambda: list(itertools.islice(rows, CHUNK_ROWS)), [])
        delimiter = ","
    elif suffix in (".csv", ".txt", ".tsv"):
        header, delimiter, chunks = _csv_blocks(source)
    else:
        kind = suffix or "files without an extension"
        raise LeadFileError(f"{source}: cannot read {kind}; save the list as CSV UTF-8 or XLSX")
    if header is None:
        raise LeadFileError(f"{source}: the file is empty; the first row must name the columns")
    return header, delimiter, chunks


def _csv_blocks(source: Path) -> tuple[list[str] | None, str, Iterator[str]]:
    """Header, delimiter (the commonest of , ; tab in the header) and blocks of whole records.

    Blocks are cut at line ends where the quotes seen so far balance, so a quoted value that
    spans lines stays in one block; the workers run the csv module on each block.
    """
    with _reading(source):
        handle = source.open(encoding="utf-8-sig", newline="")
        first = handle.readline()
    delimiter = max(",;\t", key=first.count)
    header = next(csv.reader([first], delimiter=delimiter), None) if first else None

    def blocks() -> Iterator[str]:
        with handle, _reading(source):
            lines: list[str] = []
            quotes = 0
            for line in handle:
                lines.append(line)
                quotes += line.count('"')
                if len(lines) >= CHUNK_ROWS and quotes % 2 == 0:
                    yield "".join(lines)
                    lines, quotes = [], 0
            if lines:
                yield "".join(lines)

    return header, delimiter, blocks()


@contextmanager
def _reading(source: Path) -> Iterator[None]:
    try:
        yield
    except UnicodeDecodeError as exc:
        line, bad = _first_undecodable(source, exc)
        raise LeadFileError(
            f"{source}: not UTF-8 (byte 0x{bad} on line {line}); save it as CSV UTF-8"
        ) from None
    except OSError as exc:
        raise LeadFileError(f"{source}: {exc.strerror or exc}") from None


def _first_undecodable(source: Path, exc: UnicodeDecodeError) -> tuple[int, str]:
    """The first line (1-based) that is not UTF-8 and its bad byte, read again in binary:
    the text reader's error knows neither. Only ever run on the way to refusing a file."""
    with source.open("rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as bad:
                return number, line[bad.start : bad.start + 1].hex()
    return 0, exc.object[exc.start : exc.start + 1].hex()


# zlib.error and EOFError: a damaged archive member; SyntaxError: XML parsers' errors
_XLSX_ERRORS = (
    *(OSError, KeyError, ValueError, BadZipFile, InvalidFileException, EOFError),
    *(zlib.error, SyntaxError, TypeError, IndexError),
)


def _xlsx_rows(source: Path) -> Iterator[list[str]]:
    """The first sheet's rows as text, as a person sees the cells."""
    try:
        book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except _XLSX_ERRORS as exc:
        raise LeadFileError(f"{source}: not a readable XLSX file ({exc})") from None
    try:
        for values in book.worksheets[0].iter_rows(values_only=True):
            yield [_cell_text(value) for value in values]
    except _XLSX_ERRORS as exc:  # the sheet is read lazily: a broken one fails midway
        raise LeadFileError(f"{source}: not a readable XLSX file ({exc})") from None
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a number typed into a cell: 380501234567.0
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    return str(value)
