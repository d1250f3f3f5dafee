"""The outcome journal: every finished attempt on local disk before it goes to PostgreSQL.

The outcome writer appends each new result to this file and fsyncs it before it tries the
database, so a result survives the database being away and the daemon being killed
meanwhile. When every result in memory has been written to the database the file is
emptied. At the next start, whatever the file still holds is written to the database
first (writing a result twice changes nothing: `Store.record_results` is idempotent).

One JSON object per line. A last line cut short by a crash is a result whose append never
completed, so it was never reported written: it is skipped with a warning, and its attempt,
still open in the database, is reconciled from Asterisk like any attempt left open.

The file is locked (flock) while a daemon uses it: two daemons sharing a state directory
would empty each other's journal.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import asdict, fields
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import structlog

from dialerd.domain import Amd, AttemptResult, NextDial, Outcome, PhoneState
from dialerd.errors import Fatal

Item = tuple[AttemptResult, Sequence[NextDial]]
FILE_NAME = "outcomes.journal"
log = structlog.get_logger("dialerd.journal")


class JournalError(Exception):
    """The journal cannot be written (disk full, read-only, gone)."""


class Journal:
    """An append-only, fsync'd file of results not yet known to be in the database."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / FILE_NAME
        self._file: BinaryIO | None = None

    def open(self) -> None:
        """Open (creating it and its directory) and lock the file; Fatal if it cannot be."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.path.open("ab")
        except OSError as exc:
            raise Fatal(f"cannot open the outcome journal {self.path}: {exc}") from exc
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.close()
            raise Fatal(
                f"the outcome journal {self.path} is in use by another dialerd;"
                " give each daemon its own state_dir"
            ) from exc
        self._file = handle

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def append(self, items: Sequence[Item]) -> None:
        """Write `items` and fsync; JournalError if the disk refuses. A failed append is
        cut off again where possible; after any failure the writer rewrites the file whole
        (`clear`, then `append`), so a torn line is never followed by another record."""
        handle = self._handle()
        data = b"".join(encode(item) for item in items)
        start = handle.tell()
        try:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        except OSError as exc:
            with contextlib.suppress(JournalError):  # the writer rewrites the file whole next
                self._cut(start)
            raise JournalError(f"cannot write the outcome journal {self.path}: {exc}") from exc

    def clear(self) -> None:
        """Everything journaled is in the database: start an empty file."""
        self._cut(0)

    def read(self) -> list[Item]:
        """What an earlier run left: every whole line, in order."""
        try:
            lines = self.path.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        items: list[Item] = []
        for number, line in enumerate(lines, start=1):
            try:
                items.append(decode(line))
            except (ValueError, KeyError, TypeError) as exc:
                log.warning(
                    "journal_line_skipped", file=str(self.path), line=number, error=str(exc)
                )
        return items

    def _handle(self) -> BinaryIO:
        if self._file is None:
            raise JournalError("the outcome journal is not open")
        return self._file

    def _cut(self, size: int) -> None:
        handle = self._handle()
        try:
            handle.truncate(size)
            handle.seek(size)
            os.fsync(handle.fileno())
        except OSError as exc:
            raise JournalError(f"cannot truncate the outcome journal {self.path}: {exc}") from exc


def encode(item: Item) -> bytes:
    result, next_dials = item
    record = {"result": asdict(result), "next": [asdict(n) for n in next_dials]}
    return json.dumps(record, default=_plain, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> Item:
    record = json.loads(line)
    raw = record["result"]
    result = AttemptResult(
        # .get: a journal written before a field existed lacks it (e.g. amd)
        **{f.name: _result_field(f.name, raw.get(f.name)) for f in fields(AttemptResult)}
    )
    next_dials = [
        NextDial(
            phone_id=int(n["phone_id"]),
            state=PhoneState(n["state"]),
            next_dial_at=_when(n["next_dial_at"]),
        )
        for n in record["next"]
    ]
    return result, next_dials


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Outcome | PhoneState):
        return value.value
    raise TypeError(f"cannot journal {type(value).__name__}")


def _when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _result_field(name: str, value: Any) -> Any:
    if name == "attempt_id":
        return uuid.UUID(value)
    if name == "outcome":
        return Outcome(value)
    if name.endswith("_at"):
        return _when(value)
    if name == "amd" and value is not None:
        return Amd(**value)
    return value
