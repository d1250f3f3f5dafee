"""Leads encoded for COPY into the import's staging tables: pure, so worker processes run it.

A chunk is folded first (:func:`merge_duplicates`), then written as PostgreSQL COPY text: one
bytes object per table, which crosses a process boundary for the cost of a copy.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time

from dialerd.storage.lead_records import LeadRecord, merge_duplicates

__all__ = [
    "STAGED_LEAD_COLUMNS",
    "STAGED_PHONE_COLUMNS",
    "StagedChunk",
    "copy_text",
    "key_hash",
    "stage_leads",
]

STAGED_LEAD_COLUMNS = (
    "seq", "external_id", "first_number", "name", "time_zone", "call_window_start",
    "call_window_end", "fields",
)  # fmt: skip
STAGED_PHONE_COLUMNS = ("seq", "position", "number", "phone_type")

_SPECIAL = re.compile(r"[\\\t\n\r]")
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


@dataclass(frozen=True, slots=True)
class StagedChunk:
    leads: bytes  # COPY text for STAGED_LEAD_COLUMNS
    phones: bytes  # COPY text for STAGED_PHONE_COLUMNS
    count: int  # leads in the chunk after folding
    folded: int  # records folded into an earlier record of the chunk
    key_hashes: tuple[int, ...] = ()  # key_hash of each lead, in order


def key_hash(lead: LeadRecord) -> int:
    """A hash of who the lead is, the same in every process (``hash()`` is salted per process).

    Collisions only cost a database lookup that finds nothing.
    """
    by_external_id, key = lead.key
    return zlib.crc32(f"{by_external_id:d}{key}".encode())


def stage_leads(leads: Iterable[LeadRecord]) -> StagedChunk:
    unique, folded = merge_duplicates(leads)
    lead_lines: list[str] = []
    phone_lines: list[str] = []
    for seq, lead in enumerate(unique):
        start, end = lead.call_window or (None, None)
        fields = json.dumps(lead.fields, ensure_ascii=False, separators=(",", ":"))
        lead_lines.append(copy_text((seq, lead.external_id, lead.phones[0][0], lead.name,
                                     lead.time_zone, start, end, fields)))  # fmt: skip
        phone_lines.extend(
            copy_text((seq, position, number, kind.value))
            for position, (number, kind) in enumerate(lead.phones)
        )
    return StagedChunk(
        leads="".join(lead_lines).encode(),
        phones="".join(phone_lines).encode(),
        count=len(unique),
        folded=folded,
        key_hashes=tuple(map(key_hash, unique)),
    )


def copy_text(values: Iterable[str | int | time | None]) -> str:
    """One line of COPY's text format: tab-separated, ``\\N`` for NULL, specials escaped."""
    return "\t".join(map(_field, values)) + "\n"


def _field(value: str | int | time | None) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return _SPECIAL.sub(lambda match: _ESCAPES[match.group()], value)
    return str(value)  # int, or time as HH:MM:SS
