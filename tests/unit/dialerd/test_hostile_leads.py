"""Hostile lead files, parsed without a database: every bad row named, nothing dropped."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pytest

from dialerd.leads_import import MAX_CELL_CHARS, LeadFileError, ParsedChunk, parse_lead_file

INJECTION = "\r\nAction: Originate\r\nChannel: Local/+447700900002@lab-customers\r\n\r\n"
SQL = "'); DROP TABLE leads; --"


def parsed(path: Path) -> ParsedChunk:
    chunks = list(parse_lead_file(path, "UA"))
    assert len(chunks) == 1
    return chunks[0]


def leads_by_name(chunk: ParsedChunk) -> dict[str, dict[str, str]]:
    """What was staged for COPY, decoded back: name -> custom fields (as COPY text)."""
    rows = chunk.staged.leads.decode().splitlines()
    return {row.split("\t")[3]: row.split("\t")[7] for row in rows}


def test_a_csv_of_hostile_rows_keeps_the_text_and_names_each_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "hostile.csv"
    quoted = INJECTION.replace('"', '""')
    path.write_bytes(
        (
            "name,phone,note\n"
            f'"{SQL}",0501234501,"{SQL}"\n'  # row 2: kept as text
            f'"{quoted}",0501234502,"{quoted}"\n'  # row 3: kept as text, CR/LF and all
            f"nul\0byte,0501234503,x\n"  # row 4: NUL: rejected
            f"huge,0501234504,{'x' * (MAX_CELL_CHARS + 1)}\n"  # row 5: over a cell: rejected
            f"enormous,0501234505,{'y' * 1_000_000}\n"  # row 6: over csv's limit: rejected
            "after,0501234506,z\n"  # row 7: the reader goes on after row 6
        ).encode()
    )
    chunk = parsed(path)
    assert chunk.records == 6
    rejected = dict(chunk.rejected)
    assert sorted(rejected) == [2, 3, 4]  # offsets: rows 4, 5 and 6 of the file
    assert rejected[2] == "name: contains a NUL byte (0x00), which cannot be stored"
    assert rejected[3] == f"note: {MAX_CELL_CHARS + 1} characters, more than {MAX_CELL_CHARS}"
    assert rejected[4].startswith("unreadable CSV record: field larger than field limit")
    # kept as written (cells are trimmed, as always), escaped for COPY
    as_copy_text = INJECTION.strip().replace("\r", "\\r").replace("\n", "\\n")
    assert set(leads_by_name(chunk)) == {SQL, as_copy_text, "after"}


def test_a_file_that_is_not_utf8_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"name,phone\nOlena,0501234501\nJos\xe9,0501234502\n")
    with pytest.raises(LeadFileError, match=r"not UTF-8 \(byte 0xe9 on line 3\)"):
        list(parse_lead_file(path, "UA"))


def test_a_header_with_a_nul_byte_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"name,phone,no\0te\nA,0501234501,x\n")
    with pytest.raises(LeadFileError, match="column 3 has a name with a NUL byte"):
        list(parse_lead_file(path, "UA"))


def test_an_xlsx_of_hostile_cells_keeps_the_text(tmp_path: Path) -> None:
    path = tmp_path / "hostile.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["name", "phone", "note"])
    sheet.append([INJECTION, "0501234501", SQL])
    sheet.append(["big", "0501234502", "x" * MAX_CELL_CHARS])  # as full as a cell can be
    book.save(path)
    chunk = parsed(path)
    assert chunk.rejected == []
    assert len(leads_by_name(chunk)) == 2


def test_a_damaged_xlsx_is_refused_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "damaged.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["name", "phone"])
    book.save(path)
    with zipfile.ZipFile(path) as whole:
        members = {name: whole.read(name) for name in whole.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    members[sheet] = members[sheet][: len(members[sheet]) // 2]  # its XML cut in half
    with zipfile.ZipFile(path, "w") as damaged:
        for name, data in members.items():
            damaged.writestr(name, data)
    with pytest.raises(LeadFileError, match="not a readable XLSX file"):
        list(parse_lead_file(path, "UA"))
