"""Lead import from CSV and XLSX into the lab's real PostgreSQL, in a throwaway database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]  # no stubs; tests read rows directly
import openpyxl  # type: ignore[import-untyped]
import pytest

from dialerd import leads_import
from dialerd.leads_import import ImportReport, LeadFileError, import_leads
from dialerd.storage import SchemaNotAtHead
from dialerd.storage.connect import plain_dsn
from dialerd.storage.testing import throwaway_database
from tests.integration.lab import Lab

NOW = datetime(2025, 4, 1, 8, 0, tzinfo=UTC)

# Row numbers as a spreadsheet shows them: the header is row 1.
CSV_TEXT = (
    "\ufeffExternal_ID;Name;Phone;Phone2;Time_Zone;Call_Window;City\r\n"
    "A1;Olena;050 123 4567;0441234;Europe/Kyiv;09:00-18:00;Lviv\r\n"  # 2: one bad number
    "A2;Petro;0441234;;;;Kyiv\r\n"  # 3: no valid number
    ";Anon;+1 212 555 0100;;America/New_York;;\r\n"  # 4
    "A1;Olena K.;+380 50 123 4567;+44 20 7946 0000;;;Odesa\r\n"  # 5: merges into row 2
    "B1;Bad zone;0671234567;;Mars/Olympus;;\r\n"  # 6
    ";;;;;;\r\n"  # 7: blank
    ";Anon again;+12125550100;+1 212 555 0101;;;\r\n"  # 8: merges into row 4 (first number)
    'C1;"Quote; ""semicolon""";0931112233;;;8:00 - 20:30;"multi\r\nline"\r\n'  # 9
    "C2;Late;0501112233;;;21:00-21:00;\r\n"  # 10: window starts and ends together
)

CSV_REPORT = ImportReport(
    rows=9,
    imported=3,
    merged=2,
    phones_added=5,
    rejected=(
        (3, 'phone "0441234": not a valid number for region UA'),
        (6, 'time_zone "Mars/Olympus": not a known IANA time zone (e.g. Europe/Kyiv)'),
        (10, 'call_window "21:00-21:00": starts and ends at the same time'),
    ),
    warnings=(
        (2, 'phone "0441234": not a valid number for region UA; kept the row\'s other numbers'),
    ),
)


def campaign() -> str:
    return f"import-{uuid.uuid4().hex[:8]}"


async def leads_of(url: str, campaign_name: str) -> list[tuple[object, ...]]:
    """Every phone of the campaign with its lead and schedule, in lead and dialing order."""
    connection = await asyncpg.connect(plain_dsn(url))
    try:
        rows = await connection.fetch(
            """
            SELECT l.external_id, l.name, l.time_zone, l.call_window_start, l.call_window_end,
                   l.fields::text, p.number, p.phone_type, p.position, s.state, s.next_dial_at
            FROM leads l JOIN campaigns c ON c.id = l.campaign_id
            JOIN lead_phones p ON p.lead_id = l.id JOIN phone_schedule s ON s.phone_id = p.id
            WHERE c.name = $1 ORDER BY l.id, p.position
            """,
            campaign_name,
        )
    finally:
        await connection.close()
    return [tuple(row) for row in rows]


CSV_LEADS = [
    ("A1", "Olena K.", "Europe/Kyiv", time(9), time(18), '{"City": "Odesa"}',
     "+380501234567", "mobile", 0, "scheduled", NOW),
    ("A1", "Olena K.", "Europe/Kyiv", time(9), time(18), '{"City": "Odesa"}',
     "+442079460000", "landline", 1, "standby", None),
    (None, "Anon again", "America/New_York", None, None, "{}",
     "+12125550100", "unknown", 0, "scheduled", NOW),
    (None, "Anon again", "America/New_York", None, None, "{}",
     "+12125550101", "unknown", 1, "standby", None),
    ("C1", 'Quote; "semicolon"', None, time(8), time(20, 30), '{"City": "multi\\r\\nline"}',
     "+380931112233", "mobile", 0, "scheduled", NOW),
]  # fmt: skip


async def test_csv_import_reports_every_bad_row_and_merges_duplicates(
    db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(CSV_TEXT.encode())
    name = campaign()

    report = await import_leads(db_url, name, path, "ua", now=NOW)

    assert report == CSV_REPORT
    assert await leads_of(db_url, name) == CSV_LEADS


async def test_xlsx_import_reads_cells_as_a_person_sees_them(db_url: str, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["external_id", "name", "phone", "phones", "call_window_start", "call_window_end"])
    sheet.append([1001, "Iryna", 380501234567, "0671234567 | 0931112233", time(9), time(17, 30)])
    sheet.append([1002, "No number", None, None, None, None])
    sheet.append([1003, "Bad", "0441234", None, time(9), None])
    sheet.append([1001, "Iryna S.", 380501234567.0, None, None, None])
    path = tmp_path / "leads.xlsx"
    book.save(path)
    name = campaign()

    report = await import_leads(db_url, name, path, "UA", now=NOW)

    assert report == ImportReport(
        rows=4,
        imported=1,
        merged=1,
        phones_added=3,
        rejected=(
            (3, "no phone number"),
            (
                4,
                'phone "0441234": not a valid number for region UA; '
                "call_window_end is empty but its pair is set",
            ),
        ),
        warnings=(),
    )
    phones = [
        (row[0], row[1], row[3], row[6], row[8], row[9]) for row in await leads_of(db_url, name)
    ]
    assert phones == [
        ("1001", "Iryna S.", time(9), "+380501234567", 0, "scheduled"),
        ("1001", "Iryna S.", time(9), "+380671234567", 1, "standby"),
        ("1001", "Iryna S.", time(9), "+380931112233", 2, "standby"),
    ]


async def test_reimport_merges_into_existing_leads(db_url: str, tmp_path: Path) -> None:
    name = campaign()
    first = tmp_path / "first.csv"
    first.write_text("external_id,name,phone,tier\nA1,Olena,0501234567,gold\n,Anon,0671234567,\n")
    assert (await import_leads(db_url, name, first, "UA", now=NOW)).imported == 2
    second = tmp_path / "second.csv"
    second.write_text(
        "external_id,name,phone,phone2,segment\n"
        "A1,,0931112233,0501234567,retail\n"  # adds a number, keeps the name
        ",Anon,0671234567,0661234567,\n"  # matched by its first number
        "A2,New,0991234567,,\n"
    )

    report = await import_leads(db_url, name, second, "UA", now=NOW)

    assert (report.imported, report.merged, report.phones_added) == (1, 2, 3)
    rows = [(r[0], r[1], r[5], r[6], r[8], r[9]) for r in await leads_of(db_url, name)]
    assert rows == [
        ("A1", "Olena", '{"tier": "gold", "segment": "retail"}', "+380501234567", 0, "scheduled"),
        ("A1", "Olena", '{"tier": "gold", "segment": "retail"}', "+380931112233", 1, "standby"),
        (None, "Anon", "{}", "+380671234567", 0, "scheduled"),
        (None, "Anon", "{}", "+380661234567", 1, "standby"),
        ("A2", "New", "{}", "+380991234567", 0, "scheduled"),
    ]


@pytest.mark.parametrize("ended", ["exhausted", "blocked"])
async def test_a_new_number_revives_a_lead_whose_numbers_are_exhausted(
    db_url: str, tmp_path: Path, ended: str
) -> None:
    """Also when its number was blocked by a do-not-call entry (a lead entry still stops it)."""
    name = campaign()
    path = tmp_path / "leads.csv"
    path.write_text("external_id,phone\nA1,0501234567\n")
    await import_leads(db_url, name, path, "UA", now=NOW)
    connection = await asyncpg.connect(plain_dsn(db_url))
    await connection.execute(
        "UPDATE phone_schedule SET state = $2 WHERE campaign_id ="
        " (SELECT id FROM campaigns WHERE name = $1)",
        name,
        ended,
    )
    await connection.close()
    path.write_text("external_id,phone\nA1,0671234567\n")

    await import_leads(db_url, name, path, "UA", now=NOW)

    assert [(r[6], r[9], r[10]) for r in await leads_of(db_url, name)] == [
        ("+380501234567", ended, NOW),
        ("+380671234567", "scheduled", NOW),
    ]


async def test_worker_processes_and_chunks_give_the_same_result(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(leads_import, "CHUNK_ROWS", 7)  # duplicates then span chunks
    lines = ["external_id,name,phone,note"]
    for n in range(60):
        if n % 9:
            lines.append(f'E{n % 45},Lead {n},050{n % 50:07d},"line\nbreak {n}"')
        else:  # no external id: the same first number again across chunks
            lines.append(f",Anon {n},06712300{n % 4:02d},050{n:07d}")
    lines.insert(20, "X,Broken,0441234,")
    path = tmp_path / "many.csv"
    path.write_text("\n".join(lines) + "\n")
    inline, pooled, seeded = campaign(), campaign(), campaign()
    other = tmp_path / "other.csv"
    other.write_text("external_id,phone\nZ,0991234567\n")
    await import_leads(db_url, seeded, other, "UA", now=NOW)  # every row now looked up

    one = await import_leads(db_url, inline, path, "UA", workers=0, now=NOW)
    two = await import_leads(db_url, pooled, path, "UA", workers=2, now=NOW)
    three = await import_leads(db_url, seeded, path, "UA", now=NOW)

    assert one == two == three
    assert one.rejected == ((21, 'phone "0441234": not a valid number for region UA'),)
    assert (one.rows, one.imported, one.merged) == (61, 44, 16)
    expected = await leads_of(db_url, inline)
    assert await leads_of(db_url, pooled) == expected
    assert (await leads_of(db_url, seeded))[1:] == expected


async def test_a_file_error_midway_writes_nothing(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(leads_import, "CHUNK_ROWS", 2)
    path = tmp_path / "broken.csv"
    good = b"".join(b"E%d,05012345%02d\n" % (n, n) for n in range(10))
    path.write_bytes(b"external_id,phone\n" + good + b"E99,\xff\xfe\n")
    name = campaign()

    with pytest.raises(LeadFileError, match=r"broken.csv: not UTF-8 \(byte 0xff on line 12\)"):
        await import_leads(db_url, name, path, "UA", now=NOW)

    assert await leads_of(db_url, name) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", "", "the file is empty"),
        ("nophone.csv", "name,city\nA,B\n", r"header \(row 1\): no phone column"),
        ("list.xls", "x", r"cannot read \.xls; save the list as CSV UTF-8 or XLSX"),
        ("fake.xlsx", "not a zip", "not a readable XLSX file"),
    ],
)
async def test_unreadable_files_are_refused_whole(
    db_url: str, tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(LeadFileError, match=message):
        await import_leads(db_url, campaign(), path, "UA")


async def test_import_refuses_a_database_not_at_head(lab: Lab, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text("phone\n0501234567\n")
    async with throwaway_database(lab.database_url) as url:
        with pytest.raises(SchemaNotAtHead, match="run `dialerd migrate`"):
            await import_leads(url, "c", path, "UA")
