"""A progressive campaign end to end: the daemon, the lab's Asterisk, PostgreSQL.

What dialerd recorded is checked against what Asterisk itself recorded (CDR and
queue_log), never against dialerd's own counters.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import signal
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.daemon import Dialer, fresh_database, lab_world, query, wait_until
from tests.integration.lab import Lab

LEADS = 220
RETRY_S = 20
FAST_WORLD = {
    "LAB_ANSWER_PCT": "55", "LAB_BUSY_PCT": "20", "LAB_CONGESTION_PCT": "5",
    "LAB_RING_MIN_S": "1", "LAB_RING_MAX_S": "3", "LAB_TALK_MIN_S": "2", "LAB_TALK_MAX_S": "4",
    "LAB_BUSY_MIN_S": "1", "LAB_BUSY_MAX_S": "2",
}  # fmt: skip
CDR_OUTCOME = {"BUSY": "busy", "NO ANSWER": "no_answer", "CONGESTION": "congestion"}


def write_leads(path: Path, count: int, seed: int) -> None:
    rng = random.Random(seed)
    numbers = rng.sample(range(1_000_000, 9_999_999), count)
    lines = ["external_id,name,phone"]
    lines += [f"L{n},Lead {n},+38050{number}" for n, number in enumerate(numbers)]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


async def unfinished(url: str) -> bool | str:
    """True once nothing is left to dial soon: phones settled as unknown wait an hour."""
    rows = await query(
        url,
        "SELECT state, count(*) AS n FROM phone_schedule"
        " WHERE state <> 'scheduled' OR next_dial_at < now() + interval '10 minutes'"
        " GROUP BY state",
    )
    states = {row["state"]: row["n"] for row in rows}
    open_ = await query(url, "SELECT count(*) AS n FROM call_attempts WHERE ended_at IS NULL")
    busy = sum(states.get(s, 0) for s in ("scheduled", "leased", "dialing"))
    return True if busy == 0 and open_[0]["n"] == 0 else f"{states}, open={open_[0]['n']}"


def asterisk_view(lab: Lab, attempt_ids: set[str]) -> dict[str, list[dict[str, str]]]:
    """CDR rows of the dialled channels (uniqueid = attempt id), by attempt."""
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in lab.cdr_rows():
        if row["uniqueid"] in attempt_ids:
            rows[row["uniqueid"]].append(row)
    return rows


def queue_outcomes(lab: Lab, attempt_ids: set[str]) -> dict[str, str]:
    """connected / abandoned per attempt, from Asterisk's queue_log."""
    outcome: dict[str, str] = {}
    for line in lab.queue_log.read_text(errors="replace").splitlines():
        parts = line.split("|")
        if len(parts) > 4 and parts[1] in attempt_ids:
            if parts[4] == "CONNECT":
                outcome[parts[1]] = "connected"
            elif parts[4] in ("ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY"):
                outcome.setdefault(parts[1], "abandoned")
    return outcome


def number_of(channel: str) -> str:
    return channel.split("/", 1)[1].split("@", 1)[0]


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def assert_matches_asterisk(lab: Lab, attempts: list[dict[str, object]]) -> None:
    ids = {str(a["attempt_id"]) for a in attempts}
    cdr = asterisk_view(lab, ids)
    # Every dial Asterisk made is exactly one attempt row, and every attempt was dialled once.
    assert set(cdr) == ids
    assert [i for i, rows in cdr.items() if len(rows) != 1] == []
    queue = queue_outcomes(lab, ids)
    for attempt in attempts:
        (row,) = cdr[str(attempt["attempt_id"])]
        expected = CDR_OUTCOME.get(row["disposition"]) or queue.get(str(attempt["attempt_id"]))
        assert attempt["outcome"] == expected, (attempt, row)
        assert number_of(row["channel"]) == attempt["number"]


def assert_no_overlap_and_retry_gaps(lab: Lab, attempts: list[dict[str, object]]) -> None:
    ids = {str(a["attempt_id"]) for a in attempts}
    by_number: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for rows in asterisk_view(lab, ids).values():
        row = rows[0]
        by_number[number_of(row["channel"])].append((when(row["start"]), when(row["end"])))
    retried = 0
    for calls in by_number.values():
        calls.sort()
        for (_, end), (start, _) in itertools.pairwise(calls):
            assert start >= end, "the same number was dialled twice at once"
            assert (start - end).total_seconds() >= RETRY_S - 1, "retry earlier than its delay"
            retried += 1
    assert retried > 0, "the scenario must exercise retries"


async def test_campaign_runs_end_to_end_and_matches_asterisk_records(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    dialer = Dialer(lab, database, tmp_path, retry_s=RETRY_S)
    write_leads(tmp_path / "leads.csv", LEADS, seed=3)
    assert "imported" in dialer.import_csv(tmp_path / "leads.csv")
    async with lab_world(lab, extra_agents=10, **FAST_WORLD):
        dialer.start()
        try:
            await wait_until(lambda: unfinished(database), timeout_s=420, interval_s=3)
        finally:
            code = dialer.stop(signal.SIGTERM)
    assert code == 0, dialer.log_text()[-3000:]
    attempts = [dict(r) for r in await query(database, "SELECT * FROM call_attempts")]
    assert len({a["lead_id"] for a in attempts}) == LEADS
    assert all(a["outcome"] is not None and a["ended_at"] is not None for a in attempts)
    outcomes = Counter(a["outcome"] for a in attempts)
    assert outcomes["connected"] > LEADS * 0.4, outcomes
    assert_matches_asterisk(lab, attempts)
    assert_no_overlap_and_retry_gaps(lab, attempts)


async def attempts_so_far(url: str, at_least: int) -> bool | str:
    rows = await query(url, "SELECT count(*) AS n FROM call_attempts")
    return True if rows[0]["n"] >= at_least else f"{rows[0]['n']} attempts"


def ended_while_down(row: dict[str, str], down: tuple[datetime, datetime]) -> bool:
    """CDR times have whole seconds: allow one second either side."""
    ended = when(row["end"]).replace(tzinfo=UTC)
    return down[0] - timedelta(seconds=1) <= ended <= down[1] + timedelta(seconds=1)


def reconciled_at(log: Path) -> datetime:
    """When the restarted daemon looked at Asterisk's live channels: the end of the gap."""
    for line in log.read_text().splitlines():
        if '"attempts_reconciled"' in line:
            return datetime.fromisoformat(json.loads(line)["timestamp"])
    raise AssertionError(f"the restarted daemon never reconciled: {log}")


async def test_sigkill_mid_campaign_loses_no_outcome_and_dials_nobody_twice(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    dialer = Dialer(lab, database, tmp_path, retry_s=RETRY_S)
    write_leads(tmp_path / "leads.csv", 120, seed=11)
    dialer.import_csv(tmp_path / "leads.csv")
    async with lab_world(lab, extra_agents=10, **FAST_WORLD):
        dialer.start()
        await wait_until(lambda: attempts_so_far(database, 40), timeout_s=120, interval_s=0.5)
        killed_at = datetime.now(UTC)
        dialer.stop(signal.SIGKILL, timeout_s=10)
        await asyncio.sleep(3)
        dialer.start()
        try:
            await wait_until(lambda: unfinished(database), timeout_s=420, interval_s=3)
        finally:
            code = dialer.stop(signal.SIGTERM)
    assert code == 0, dialer.log_text()[-3000:]
    attempts = [dict(r) for r in await query(database, "SELECT * FROM call_attempts")]
    assert all(a["outcome"] is not None for a in attempts), "an outcome was lost"
    ids = {str(a["attempt_id"]) for a in attempts}
    cdr = asterisk_view(lab, ids)
    # The attempt row is written before the Originate is sent: a kill between the two leaves
    # an attempt Asterisk never saw. It must be one written just before the kill, and it
    # ends as unknown (never re-dialled at once).
    unsent = [a for a in attempts if str(a["attempt_id"]) not in cdr]
    assert len(unsent) <= 2, unsent
    assert all(a["outcome"] == "unknown" for a in unsent), unsent
    assert all(killed_at - timedelta(seconds=5) <= a["created_at"] <= killed_at for a in unsent)
    assert set(cdr) == ids - {str(a["attempt_id"]) for a in unsent}
    assert [i for i, rows in cdr.items() if len(rows) != 1] == [], "an attempt was dialled twice"
    # Only calls that ended while no daemon was running may be 'unknown'; the rest, including
    # calls in progress at the kill and adopted after the restart, carry Asterisk's outcome.
    down = (killed_at, reconciled_at(dialer.runs[1]))
    unknown = [a for a in attempts if a["outcome"] == "unknown" and a not in unsent]
    assert all(ended_while_down(cdr[str(a["attempt_id"])][0], down) for a in unknown), unknown
    known = [a for a in attempts if a["outcome"] != "unknown"]
    assert_matches_asterisk(lab, known)
    assert_no_overlap_and_retry_gaps(lab, attempts)
