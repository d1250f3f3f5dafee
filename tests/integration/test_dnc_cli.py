"""`dialerd dnc` as an admin runs it, against a fresh database on the lab's PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.daemon import Dialer, fresh_database, query
from tests.integration.lab import Lab


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


async def test_import_reports_each_bad_row_and_keeps_the_good_ones(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    dialer = Dialer(lab, database, tmp_path)
    (tmp_path / "leads.csv").write_text("external_id,name,phone\nL1,Olena,+380501234567\n")
    dialer.import_csv(tmp_path / "leads.csv")
    (lead_id,) = [r["id"] for r in await query(database, "SELECT id FROM leads")]
    (tmp_path / "dnc.csv").write_text(
        "number,lead_id,expires_at,reason\n"
        "050 765 4321,,,national number, campaign region UA\n"
        f",{lead_id},2099-01-01,\n"
        "+380 12,,,\n"
        ",987654321,,\n"
        "+380671112233,,2001-01-01,\n"
    )

    imported = dialer.run_cli("dnc", "import", str(tmp_path / "dnc.csv"), "--campaign", "labtest")

    assert imported.returncode == 1, imported
    errors = imported.stderr.strip().splitlines()
    assert [line.split(": ", 2)[1] for line in errors] == ["row 4", "row 5", "row 6"]
    assert "not a valid phone number" in errors[0]
    assert "no lead with id 987654321" in errors[1]
    assert "already in the past" in errors[2]
    assert "2 entries added to campaign 'labtest'" in imported.stdout
    rows = await query(database, "SELECT number, lead_id FROM do_not_call ORDER BY id")
    assert [(r["number"], r["lead_id"]) for r in rows] == [("+380507654321", None), (None, lead_id)]

    check = dialer.run_cli("dnc", "check", "--lead-id", str(lead_id))
    assert "on campaign 'labtest''s do-not-call list" in check.stdout
    assert "expires 2099-01-01" in check.stdout
    removed = dialer.run_cli("dnc", "remove", "+380507654321", "--campaign", "labtest")
    assert removed.stdout.startswith("removed 1 from campaign 'labtest'"), removed
    assert "not on any do-not-call list" in dialer.run_cli("dnc", "check", "+380507654321").stdout


async def test_add_refuses_a_bad_number_and_an_unknown_lead(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    dialer = Dialer(lab, database, tmp_path)
    bad = dialer.run_cli("dnc", "add", "12345")
    assert bad.returncode == 1
    assert "number '12345'" in bad.stderr
    unknown = dialer.run_cli("dnc", "add", "--lead-id", "424242")
    assert (unknown.returncode, unknown.stderr.strip()) == (1, "dialerd: no lead with id 424242")
    assert await query(database, "SELECT * FROM do_not_call") == []


async def test_a_broken_campaign_file_does_not_hold_up_a_request(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    dialer = Dialer(lab, database, tmp_path)
    dialer.write_config()
    (tmp_path / "campaigns" / "broken.yaml").write_text("name: broken\nqueue: [\n")
    added = dialer.run_cli("dnc", "add", "+380501112233", "--campaign", "labtest")
    assert added.returncode == 0, added.stderr
    rows = await query(database, "SELECT number FROM do_not_call")
    assert [r["number"] for r in rows] == ["+380501112233"]
