"""SIGKILL at random moments, again and again, and a restart each time: one campaign of
short calls. Afterwards PostgreSQL and Asterisk's own CDR must agree: every Originate
Asterisk saw has exactly one attempt row with an outcome (0 lost), no attempt was
originated twice and no phone was dialled again sooner than its retry delay (0 duplicated).

The kill delays are seeded (reproducible) and counted from the moment the daemon says it
has started (start-up itself takes seconds on a loaded machine, and a kill during the
imports tests nothing); a delay of zero lands in the first dial round, right after the
reconciliation of what the previous kill left; the longer ones in dial rounds, call tracking
and outcome writes.
"""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.daemon import Dialer, fresh_database, lab_world, wait_until
from tests.integration.fault_checks import all_attempts, log_events, tally, write_summary
from tests.integration.lab import Lab
from tests.integration.test_campaign_lab import (
    FAST_WORLD,
    RETRY_S,
    asterisk_view,
    ended_while_down,
    write_leads,
)
from tests.integration.test_restart_lab import all_ended

RUNS = 20
SEED = 20261202


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


async def started_up(dialer: Dialer) -> bool | str:
    text = dialer.runs[-1].read_text(errors="replace")
    return True if '"daemon_started"' in text else "starting"


def started_at(log: Path) -> datetime:
    """When a run had looked at what the previous one left: the end of the gap."""
    (event,) = log_events(log.read_text(errors="replace"), "daemon_started")
    return datetime.fromisoformat(event["timestamp"])


async def test_sigkill_at_random_moments_loses_no_outcome_and_dials_nobody_twice(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    rng = random.Random(SEED)
    dialer = Dialer(lab, database, tmp_path, retry_s=RETRY_S)
    write_leads(tmp_path / "leads.csv", 200, seed=51)
    dialer.import_csv(tmp_path / "leads.csv")
    started = datetime.now(UTC)
    async with lab_world(lab, extra_agents=10, **FAST_WORLD):
        kills: list[datetime] = []
        for _ in range(RUNS):
            dialer.start()
            await wait_until(lambda: started_up(dialer), 60, 0.1)
            await asyncio.sleep(rng.choice([0.0, rng.uniform(0.0, 3.0)]))
            kills.append(datetime.now(UTC))
            dialer.stop(signal.SIGKILL, timeout_s=10)
        dialer.start()  # the last run reconciles and settles what the kills left
        try:
            attempts = await all_attempts(database)
            left = {str(a["attempt_id"]) for a in attempts if a["ended_at"] is None}
            await wait_until(lambda: all_ended(database, left), 90, 1)
        finally:
            code = await asyncio.to_thread(dialer.stop)
    assert code == 0, dialer.log_text()[-3000:]
    attempts = await all_attempts(database)
    result = tally(lab, attempts, started, RETRY_S)
    line = result.summary("SIGKILL loop", RUNS)
    write_summary(tmp_path, line)
    assert (result.lost, result.duplicated) == ([], []), f"{line}\n{result}"
    # Only a call that ended while no daemon ran may be unknown although Asterisk saw it end:
    # any other one was misjudged (say, a run taking its own new calls for a crash's).
    cdr = asterisk_view(lab, {str(a["attempt_id"]) for a in attempts})
    # A result is on disk only once the journal is fsync'd, a moment after the call ends;
    # CDR times are whole seconds: a gap starts 2 s before its kill.
    restarts = [started_at(log) for log in dialer.runs[1:]]
    gaps = [(kill - timedelta(seconds=1), up) for kill, up in zip(kills, restarts, strict=True)]
    misjudged = [
        a
        for a in attempts
        if a["outcome"] == "unknown"
        and str(a["attempt_id"]) in cdr
        and not any(ended_while_down(cdr[str(a["attempt_id"])][0], gap) for gap in gaps)
    ]
    assert misjudged == [], misjudged
    reconciled = log_events(dialer.log_text(), "attempts_reconciled")
    assert len(attempts) > RUNS, "the runs must dial"
    assert reconciled, "some kill must leave attempts open for the next run to settle"
