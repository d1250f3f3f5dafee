"""Dispositions while the daemon runs: the lab's Asterisk says them, PostgreSQL keeps them.

The daemon places a real call (the customer answers, an agent takes it).
Two dispositions for that attempt then reach Asterisk the two ways the snippet documents:
the dialplan (``Gosub(dialerd-disposition,...)``, from a Local channel the test originates)
and a CRM's AMI action ``UserEvent``. Both must end up in ``dispositions``, the newest
counting; one for an attempt that does not exist must be refused and logged, not stored.
Also ``dialerd disposition`` as an admin runs it, and ``POST /dispositions`` as a CRM sends
it: the same codes accepted, the same refusals.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ami import AmiClient
from tests.integration.daemon import (
    Dialer,
    fresh_database,
    lab_world,
    post_json,
    query,
    wait_until,
)
from tests.integration.lab import Lab

# A fresh number each run (Asterisk's CDR keeps earlier runs' calls); the world decides.
NUMBER = f"+38050{random.Random().randrange(1_000_000, 9_999_999)}"
ANSWER_SHORT = {"LAB_ANSWER_PCT": "100", "LAB_RING_MIN_S": "1", "LAB_RING_MAX_S": "1",
                "LAB_TALK_MIN_S": "1", "LAB_TALK_MAX_S": "2"}  # fmt: skip
ALL_BUSY = {"LAB_ANSWER_PCT": "0", "LAB_BUSY_PCT": "100", "LAB_CONGESTION_PCT": "0"}
SQL = "SELECT disposition, agent, note, source FROM dispositions ORDER BY id"


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


async def one_attempt(database: str) -> uuid.UUID:
    async def placed() -> bool | str:
        rows = await query(database, "SELECT attempt_id FROM call_attempts")
        return True if rows else "no attempt yet"

    await wait_until(placed, timeout_s=30, interval_s=0.5)
    (row,) = await query(database, "SELECT attempt_id FROM call_attempts")
    attempt_id: uuid.UUID = row["attempt_id"]
    return attempt_id


async def say_through_the_dialplan(ami: AmiClient, attempt: uuid.UUID) -> None:
    variables = [f"LAB_ATTEMPT={attempt}", "LAB_CODE=callback", "LAB_AGENT=agent03"]
    response = await ami.send_action(
        "Originate",
        {
            "Channel": "Local/s@lab-disposition",
            "Application": "Wait",
            "Data": "1",
            "Async": "true",
            "Variable": [*variables, "LAB_NOTE=call back after six"],
        },
    )
    response.raise_for_error()


async def say_through_ami(ami: AmiClient, attempt: uuid.UUID | str, code: str) -> None:
    headers = {"UserEvent": "DialerdDisposition", "Attempt": str(attempt), "Disposition": code}
    (await ami.send_action("UserEvent", {**headers, "Agent": "agent03"})).raise_for_error()


async def record_two(database: str, ami: AmiClient) -> uuid.UUID:
    """The dialplan's callback, an unknown attempt's sale, then AMI's sale; waits for both."""
    attempt = await one_attempt(database)

    async def recorded(count: int) -> bool | str:
        rows = await query(database, SQL)
        return True if len(rows) >= count else f"{len(rows)} dispositions"

    await say_through_the_dialplan(ami, attempt)
    await wait_until(lambda: recorded(1), timeout_s=20, interval_s=0.5)
    await say_through_ami(ami, uuid.uuid4(), "sale")  # no such attempt
    await say_through_ami(ami, attempt, "Sale")
    await wait_until(lambda: recorded(2), timeout_s=20, interval_s=0.5)
    return attempt


async def test_user_events_from_the_dialplan_and_ami_are_recorded(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    dialer = Dialer(lab, database, tmp_path)
    (tmp_path / "leads.csv").write_text(f"external_id,name,phone\nL1,Olena,{NUMBER}\n")
    dialer.import_csv(tmp_path / "leads.csv")
    async with lab_world(lab, **ANSWER_SHORT) as ami:
        dialer.start()
        try:
            attempt = await record_two(database, ami)
        finally:
            assert dialer.stop() == 0
    rows = [tuple(r) for r in await query(database, SQL)]
    assert rows == [
        ("callback", "agent03", "call back after six", "ami"),
        ("sale", "agent03", "", "ami"),
    ]
    latest = await query(database, "SELECT attempt_id, disposition FROM latest_dispositions")
    assert [tuple(r) for r in latest] == [(attempt, "sale")]
    assert "disposition_rejected" in dialer.log_text()
    assert "no call attempt" in dialer.log_text()


async def test_the_admin_command_records_and_refuses(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    dialer = Dialer(lab, database, tmp_path)
    (tmp_path / "leads.csv").write_text(f"external_id,name,phone\nL1,Olena,{NUMBER}\n")
    dialer.import_csv(tmp_path / "leads.csv")
    async with lab_world(lab, **ALL_BUSY):
        dialer.start()
        try:
            attempt = await one_attempt(database)
        finally:
            assert dialer.stop() == 0
    done = dialer.run_cli("disposition", str(attempt), "not_interested", "--agent", "agent05")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(f"attempt {attempt}: disposition not_interested by agent05")
    missing = dialer.run_cli("disposition", str(uuid.uuid4()), "sale")
    assert missing.returncode == 1
    assert "no call attempt" in missing.stderr
    bad = dialer.run_cli("disposition", str(attempt), "sale!")
    assert (bad.returncode, bad.stderr.strip()) == (
        1,
        "dialerd: disposition 'sale!': use letters, digits, _ or -, up to 40 characters",
    )
    rows = await query(database, "SELECT attempt_id, disposition, agent, source FROM dispositions")
    assert [tuple(r) for r in rows] == [(attempt, "not_interested", "agent05", "cli")]


async def test_the_http_api_records_and_refuses_like_the_other_paths(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    dialer = Dialer(lab, database, tmp_path)
    (tmp_path / "leads.csv").write_text(f"external_id,name,phone\nL1,Olena,{NUMBER}\n")
    dialer.import_csv(tmp_path / "leads.csv")
    port = dialer.metrics_port
    async with lab_world(lab, **ALL_BUSY):
        dialer.start()
        try:
            attempt = await one_attempt(database)
            sale = {"attempt_id": str(attempt), "disposition": "Sale", "agent": "agent07"}
            status, stored = post_json(port, "/dispositions", {**sale, "note": "two units"})
            bad_code = post_json(port, "/dispositions", {**sale, "disposition": "sale!"})
            unknown = post_json(port, "/dispositions", {**sale, "attempt_id": str(uuid.uuid4())})
            not_text = post_json(port, "/dispositions", {**sale, "attempt_id": 5})
        finally:
            assert dialer.stop() == 0
    assert status == 201, stored
    assert (stored["attempt_id"], stored["disposition"], stored["note"]) == (
        str(attempt),
        "sale",
        "two units",
    )
    cli_message = "disposition 'sale!': use letters, digits, _ or -, up to 40 characters"
    assert bad_code == (400, {"error": cli_message, "field": "disposition"})
    assert unknown[0] == 404
    assert unknown[1]["field"] == "attempt_id"
    assert "no call attempt" in unknown[1]["error"]
    assert not_text == (400, {"error": "attempt_id: give a string", "field": "attempt_id"})
    rows = await query(database, "SELECT attempt_id, disposition, agent, source FROM dispositions")
    assert [tuple(r) for r in rows] == [(attempt, "sale", "agent07", "api")]
