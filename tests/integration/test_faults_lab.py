"""Faults mid-campaign: the real daemon, the lab's Asterisk and PostgreSQL.

What the daemon recorded is checked against Asterisk's own CDR and queue_log.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.daemon import Dialer, fresh_database, lab_world, query, wait_until
from tests.integration.lab import Lab
from tests.integration.test_campaign_lab import (
    FAST_WORLD,
    RETRY_S,
    assert_matches_asterisk,
    asterisk_view,
    when,
    write_leads,
)

OUTAGE_S = 60  # the outage
KILL_AFTER_S = 20  # into the outage: the calls in flight when it began have ended by then


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


async def attempts_so_far(url: str, at_least: int) -> bool | str:
    rows = await query(url, "SELECT count(*) AS n FROM call_attempts")
    return True if rows[0]["n"] >= at_least else f"{rows[0]['n']} attempts"


def journal_lines(dialer: Dialer) -> int:
    path = dialer.workdir / "state" / "outcomes.journal"
    return len(path.read_bytes().splitlines()) if path.exists() else 0


def cdr_window(row: dict[str, str], key: str) -> datetime:
    return when(row[key]).replace(tzinfo=UTC)


@pytest.mark.alone  # every other lab test shares this PostgreSQL
async def test_postgres_down_for_a_minute_and_a_kill_meanwhile_lose_no_outcome(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    """Outcomes of calls that end while PostgreSQL is down go to the journal; the daemon is
    killed during the outage, so only the journal has them; after PostgreSQL is back the
    restarted daemon writes them with Asterisk's true outcome. No call starts meanwhile."""
    dialer = Dialer(lab, database, tmp_path, retry_s=RETRY_S)
    write_leads(tmp_path / "leads.csv", 150, seed=21)
    dialer.import_csv(tmp_path / "leads.csv")
    async with lab_world(lab, extra_agents=10, **FAST_WORLD):
        dialer.start()
        try:
            await wait_until(lambda: attempts_so_far(database, 25), timeout_s=120, interval_s=0.5)
            down_at = datetime.now(UTC)
            await lab.service("stop-postgres")
            await asyncio.sleep(KILL_AFTER_S)
            journaled = journal_lines(dialer)
            dialer.stop(signal.SIGKILL, timeout_s=10)
            await asyncio.sleep(OUTAGE_S - KILL_AFTER_S)
        finally:
            await lab.service("start-postgres")
        up_at = datetime.now(UTC)
        dialer.start()
        try:
            await wait_until(lambda: replayed(dialer), timeout_s=60, interval_s=0.5)
            await asyncio.sleep(5)  # dialing resumes
        finally:
            code = dialer.stop(signal.SIGTERM)
    assert code == 0, dialer.log_text()[-3000:]
    assert journaled > 0, "calls ended during the outage, so the journal must hold them"
    attempts = [dict(r) for r in await query(database, "SELECT * FROM call_attempts")]
    assert all(a["outcome"] is not None for a in attempts), "an outcome was lost"
    cdr = asterisk_view(lab, {str(a["attempt_id"]) for a in attempts})
    # Calls that ended after the database went away and before the kill: their outcome
    # existed only in the journal, and it must be Asterisk's, not 'unknown'.
    kill_at = down_at + timedelta(seconds=KILL_AFTER_S)
    ended_in_outage = [
        a
        for a in attempts
        if str(a["attempt_id"]) in cdr
        and down_at + timedelta(seconds=1)
        <= cdr_window(cdr[str(a["attempt_id"])][0], "end")
        <= kill_at - timedelta(seconds=1)
    ]
    assert ended_in_outage, "the scenario must end calls during the outage"
    assert all(a["outcome"] != "unknown" for a in ended_in_outage), ended_in_outage
    assert_matches_asterisk(lab, ended_in_outage)
    # No new call while the database was away (an attempt row comes before each Originate).
    started_meanwhile = [
        row
        for rows in cdr.values()
        for row in rows
        if down_at + timedelta(seconds=1) < cdr_window(row, "start") < up_at
    ]
    assert started_meanwhile == []
    assert [i for i, rows in cdr.items() if len(rows) != 1] == [], "an attempt was dialled twice"
    assert len(attempts) > len(ended_in_outage), "dialing resumed after the restart"


async def replayed(dialer: Dialer) -> bool | str:
    return True if '"journal_replayed"' in dialer.log_text() else "not replayed yet"


def fill(directory: Path) -> Path:
    """Write a file in `directory` until its file system has no room left."""
    filler = directory / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(descriptor, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(descriptor)
    return filler


async def run(*command: str) -> None:
    proc = await asyncio.create_subprocess_exec(*command)
    assert await proc.wait() == 0, command


async def log_has(dialer: Dialer, event: str) -> bool | str:
    return True if f'"{event}"' in dialer.log_text() else f"no {event} yet"


async def test_a_full_journal_disk_stops_dialing_with_a_clear_error_and_loses_nothing(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    await run("/usr/bin/mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(state))
    try:
        dialer = Dialer(lab, database, tmp_path, retry_s=RETRY_S)
        write_leads(tmp_path / "leads.csv", 150, seed=22)
        dialer.import_csv(tmp_path / "leads.csv")
        async with lab_world(lab, extra_agents=10, **FAST_WORLD):
            dialer.start()
            try:
                await wait_until(lambda: attempts_so_far(database, 10), timeout_s=60)
                filler = fill(state)
                await wait_until(
                    lambda: log_has(dialer, "outcome_journal_unwritable"), timeout_s=30
                )
                stopped_at = datetime.now(UTC)
                await asyncio.sleep(10)
                resumed_from = datetime.now(UTC)
                filler.unlink()
                await wait_until(lambda: log_has(dialer, "outcome_journal_writable"), timeout_s=30)
                await wait_until(lambda: new_calls_since(lab, resumed_from), timeout_s=30)
            finally:
                code = dialer.stop(signal.SIGTERM)
    finally:
        await run("/usr/bin/umount", str(state))
    assert code == 0, dialer.log_text()[-3000:]
    error = next(
        json.loads(line)
        for line in dialer.log_text().splitlines()
        if '"outcome_journal_unwritable"' in line
    )
    assert "No space left on device" in error["error"], error
    attempts = [dict(r) for r in await query(database, "SELECT * FROM call_attempts")]
    assert all(a["outcome"] is not None for a in attempts), "an outcome was lost"
    # Calls in flight when the disk filled up may still start (their Originate was on
    # its way); none after two seconds.
    late = [
        a for a in attempts if stopped_at + timedelta(seconds=2) < a["created_at"] < resumed_from
    ]
    assert late == [], late


async def new_calls_since(lab: Lab, since: datetime) -> bool | str:
    started = [r for r in lab.cdr_rows() if cdr_window(r, "start") > since]
    return True if started else "no call since dialing was allowed again"
