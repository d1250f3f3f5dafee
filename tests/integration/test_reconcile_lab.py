"""Calls that end while no daemon sees them end ``unknown``; the restarted daemon then gives
each the outcome Asterisk's CDR proves (cdr_pgsql into the lab's PostgreSQL), and the test
checks it against the CSV CDR and queue_log that Asterisk wrote beside it."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.daemon import Dialer, fresh_database, lab_world, query, wait_until
from tests.integration.fault_checks import cdr_time
from tests.integration.lab import Lab
from tests.integration.test_campaign_lab import (
    CDR_OUTCOME,
    FAST_WORLD,
    asterisk_view,
    attempts_so_far,
    queue_outcomes,
    write_leads,
)


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


UNSETTLED = (
    "SELECT count(*) FILTER (WHERE outcome = 'unknown' AND reconciled_at IS NULL) AS n,"
    " count(*) FILTER (WHERE reconciled_at IS NOT NULL) AS done"
    " FROM call_attempts WHERE attempt_id::text = ANY($1)"
)


def cdr_outcome(row: dict[str, str]) -> str:
    """What the CSV CDR says: an answered call bridged to an agent is connected."""
    if row["disposition"] == "ANSWERED":
        return "connected" if row["dstchannel"] else "abandoned"
    return CDR_OUTCOME.get(row["disposition"], "failed")


async def settled(database: str, lab: Lab) -> bool | str:
    """Some attempts reconciled, and none left unknown that has a CDR row."""
    ids = {
        str(r["attempt_id"]) for r in await query(database, "SELECT attempt_id FROM call_attempts")
    }
    with_cdr = sorted(asterisk_view(lab, ids))
    rows = await query(database, UNSETTLED, with_cdr)
    n, done = rows[0]["n"], rows[0]["done"]
    return True if n == 0 and done > 0 else f"{n} unknown with a CDR row, {done} reconciled"


async def test_calls_ended_while_the_daemon_was_dead_get_asterisks_outcome_after_restart(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    if not lab.cdr_database_url:
        pytest.fail("the lab writes no CDRs to PostgreSQL: restart it with this scripts/lab")
    reconcile = f"reconcile:\n  interval_s: 1\n  cdr_database:\n    url: {lab.cdr_database_url}\n"
    dialer = Dialer(lab, database, tmp_path, retry_s=20, extra_config=reconcile)
    write_leads(tmp_path / "leads.csv", 60, seed=23)
    dialer.import_csv(tmp_path / "leads.csv")
    async with lab_world(lab, extra_agents=10, **FAST_WORLD):
        dialer.start()
        await wait_until(lambda: attempts_so_far(database, 30), timeout_s=60, interval_s=0.5)
        dialer.stop(signal.SIGKILL, timeout_s=10)
        await asyncio.sleep(8)  # the calls in flight end unseen (ring ≤ 3 s, talk ≤ 4 s)
        dialer.start()
        try:
            await wait_until(lambda: settled(database, lab), timeout_s=40, interval_s=1)
        finally:
            code = dialer.stop(signal.SIGTERM)
    assert code == 0, dialer.log_text()[-3000:]
    attempts = {
        str(a["attempt_id"]): dict(a) for a in await query(database, "SELECT * FROM call_attempts")
    }
    cdr = asterisk_view(lab, set(attempts))
    reconciled = [a for a in attempts.values() if a["reconciled_at"] is not None]
    mix = Counter(a["outcome"] for a in reconciled)
    print(f"reconciled from the CDR: {len(reconciled)} {dict(sorted(mix.items()))}")
    assert len(reconciled) >= 5, "the kill must leave calls that ended unseen"
    queue = queue_outcomes(lab, set(attempts))
    for attempt in reconciled:
        (row,) = cdr[str(attempt["attempt_id"])]
        assert attempt["outcome_before"] == "unknown"
        assert attempt["outcome"] == cdr_outcome(row), (attempt, row)
        assert attempt["ended_at"] == cdr_time(row, "end"), (attempt, row)  # Asterisk's end
        if attempt["outcome"] in ("connected", "abandoned"):
            assert queue.get(str(attempt["attempt_id"])) == attempt["outcome"], (attempt, row)
    # Only attempts Asterisk never saw (a kill between the row and the Originate) stay unknown.
    left = [
        i for i, a in attempts.items() if a["outcome"] == "unknown" and a["reconciled_at"] is None
    ]
    assert [i for i in left if i in cdr] == []
    assert len(left) <= 2, left
    # Reconciling dials nobody: a reconciled phone is not dialled again in the test, and a
    # connected one is done.
    phones = {a["phone_id"]: a for a in reconciled}
    later = [
        a
        for a in attempts.values()
        if a["phone_id"] in phones and a["created_at"] > phones[a["phone_id"]]["created_at"]
    ]
    assert later == []
    schedule = await query(
        database,
        "SELECT phone_id, state FROM phone_schedule WHERE phone_id = ANY($1)",
        list(phones),
    )
    for row in schedule:
        if phones[row["phone_id"]]["outcome"] == "connected":
            assert row["state"] == "done", row
