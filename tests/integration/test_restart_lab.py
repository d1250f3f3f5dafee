"""Asterisk crashes mid-campaign (kill -9, then started again) under the running daemon.

The daemon reconnects on its own, reloads the queue's agents (the restarted Asterisk has
only its configured ten: the ten extra ones added at run time are gone) and settles the
calls that were up when Asterisk died: they died with it, leave no CDR, and end as
`unknown`; every other attempt carries Asterisk's own outcome, and no phone is dialled
again sooner than its retry delay.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ami import AmiClient
from tests.integration.daemon import Dialer, fresh_database, lab_world, query, wait_until
from tests.integration.fault_checks import all_attempts, log_events, tally, write_summary
from tests.integration.lab import Lab
from tests.integration.test_campaign_lab import (
    FAST_WORLD,
    RETRY_S,
    assert_matches_asterisk,
    asterisk_view,
    write_leads,
)
from tests.integration.test_status_lab import page


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


async def attempts_since(url: str, since: datetime, at_least: int) -> bool | str:
    rows = await query(url, "SELECT count(*) AS n FROM call_attempts WHERE created_at > $1", since)
    return True if rows[0]["n"] >= at_least else f"{rows[0]['n']} attempts since {since}"


async def agents_known(dialer: Dialer, count: int) -> bool | str:
    _, status = await page(dialer, "/status")
    agents = [sum(c["agents"].values()) for c in status["campaigns"]]
    return True if agents == [count] else f"agents {agents}"


async def all_ended(url: str, attempt_ids: set[str]) -> bool | str:
    rows = await query(
        url,
        "SELECT count(*) AS n FROM call_attempts WHERE ended_at IS NULL"
        " AND attempt_id = ANY($1::uuid[])",
        list(attempt_ids),
    )
    return True if rows[0]["n"] == 0 else f"{rows[0]['n']} of {len(attempt_ids)} still open"


async def test_asterisk_crash_mid_campaign_reconnects_resyncs_and_loses_nothing(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    dialer = Dialer(lab, database, tmp_path, retry_s=RETRY_S)
    write_leads(tmp_path / "leads.csv", 90, seed=31)
    dialer.import_csv(tmp_path / "leads.csv")
    started = datetime.now(UTC)
    async with lab_world(lab, extra_agents=10, **FAST_WORLD):
        dialer.start()
        try:
            await wait_until(lambda: agents_known(dialer, lab.agents + 10), 30, 0.5)
            await wait_until(lambda: attempts_since(database, started, 20), 90, 0.5)
            open_rows = await query(
                database, "SELECT attempt_id FROM call_attempts WHERE ended_at IS NULL"
            )
            in_flight = {str(r["attempt_id"]) for r in open_rows}
            await lab.restart_asterisk(hard=True)
            back = datetime.now(UTC)
            # the daemon finds only the configured agents, then dials on
            await wait_until(lambda: agents_known(dialer, lab.agents), 60, 0.5)
            await wait_until(lambda: attempts_since(database, back, 10), 60, 0.5)
            await wait_until(lambda: all_ended(database, in_flight), 60, 1)
        finally:
            code = await asyncio.to_thread(dialer.stop)
    assert code == 0, dialer.log_text()[-3000:]
    assert in_flight, "calls must be up when Asterisk dies"
    attempts = await all_attempts(database)
    cdr = asterisk_view(lab, {str(a["attempt_id"]) for a in attempts})
    unknown = [a for a in attempts if a["outcome"] == "unknown"]
    # Only calls up at the crash end unknown, and Asterisk has no record of them either.
    assert {str(a["attempt_id"]) for a in unknown} <= in_flight, unknown
    assert [a for a in unknown if str(a["attempt_id"]) in cdr] == [], "Asterisk knew the end"
    assert unknown, "some calls were up when Asterisk died"
    assert_matches_asterisk(lab, [a for a in attempts if a["outcome"] != "unknown"])
    result = tally(lab, attempts, started, RETRY_S)
    write_summary(tmp_path, result.summary("Asterisk restart", 1))
    assert (result.lost, result.duplicated) == ([], []), result
    changes = [e["connected"] for e in log_events(dialer.log_text(), "ami_connection_changed")]
    assert changes[:2] == [False, True], changes  # it noticed the crash and reconnected


async def module(ami: AmiClient, name: str, load_type: str) -> None:
    response = await ami.send_action("ModuleLoad", {"Module": name, "LoadType": load_type})
    response.raise_for_error()


async def unloaded(ami: AmiClient, name: str) -> bool | str:
    """Unload ``name`` once Asterisk lets it go: not while calls of earlier tests use it."""
    response = await ami.send_action("ModuleLoad", {"Module": name, "LoadType": "unload"})
    return True if response.ok else f"{name} not unloaded: {response.message}"


async def logged(dialer: Dialer, event: str) -> bool | str:
    return True if log_events(dialer.log_text(), event) else f"no {event} in the log yet"


async def test_a_queue_asterisk_cannot_list_yet_is_asked_for_again_until_it_can(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    # As while Asterisk boots: QueueStatus is an unknown command until app_queue loads. The
    # daemon must not settle on an empty or stale board; it asks again.
    dialer = Dialer(lab, database, tmp_path, retry_s=RETRY_S)
    async with lab_world(lab) as ami:
        await wait_until(lambda: unloaded(ami, "app_queue.so"), 120, 1.0)
        try:
            dialer.start()
            try:
                await wait_until(lambda: logged(dialer, "queue_status_failed"), 60, 0.5)
                assert await agents_known(dialer, 0) is True
            finally:
                await module(ami, "app_queue.so", "load")
            await wait_until(lambda: agents_known(dialer, lab.agents), 30, 0.5)
        finally:
            code = await asyncio.to_thread(dialer.stop)
    assert code == 0, dialer.log_text()[-3000:]
