"""The channel switch in the real daemon: leads nobody answers stop being called after the
campaign's count of ineffective attempts, each recorded once in channel_switch_events.

Every customer is busy and is redialled a second later; without the rule the campaign would
go on calling (its caps allow 50 attempts). With `channel_switch: {after_ineffective: 2}`
each lead is called exactly twice, its phones end `switched`, and its event names its
second attempt.
"""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.daemon import Dialer, fresh_database, lab_world, query, wait_until
from tests.integration.lab import Lab
from tests.integration.test_dnc_lab import ALL_BUSY, REDIAL_ALL

LEADS = 3
SWITCHING = REDIAL_ALL.replace(
    "  max_attempts_per_phone: 50\n",
    "  max_attempts_per_phone: 50\n  channel_switch: {{after_ineffective: 2, within_days: 1}}\n",
)
EVENTS = """
SELECT l.external_id, e.attempt_id, e.ineffective_attempts, e.within_days
FROM channel_switch_events e JOIN leads l ON l.id = e.lead_id ORDER BY l.external_id"""
SECOND_ATTEMPTS = """
SELECT l.external_id, a.attempt_id FROM call_attempts a JOIN leads l ON l.id = a.lead_id
WHERE a.attempt_number = 2 ORDER BY l.external_id"""


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


async def switched(database: str) -> bool | str:
    found = len(await query(database, "SELECT 1 FROM channel_switch_events"))
    return True if found == LEADS else f"{found} of {LEADS} leads switched"


async def test_leads_nobody_answers_switch_channel_after_two_attempts(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    assert "channel_switch" in SWITCHING
    dialer = Dialer(lab, database, tmp_path, retry_s=1, campaign_yaml=SWITCHING)
    prefix = random.Random().randrange(1_000_000, 9_000_000)
    rows = [
        f"s{i},Customer {i},+38066{prefix + 2 * i};+38066{prefix + 2 * i + 1}" for i in range(LEADS)
    ]
    (tmp_path / "leads.csv").write_text("external_id,name,phones\n" + "\n".join(rows) + "\n")
    dialer.import_csv(tmp_path / "leads.csv")
    async with lab_world(lab, **ALL_BUSY):
        dialer.start()
        try:
            await wait_until(lambda: switched(database), timeout_s=60, interval_s=0.5)
            await asyncio.sleep(4)  # a retry a second later would have been dialled by now
        finally:
            code = dialer.stop(signal.SIGTERM)
    assert code == 0, dialer.log_text()[-3000:]

    seconds = {r["external_id"]: r["attempt_id"] for r in await query(database, SECOND_ATTEMPTS)}
    assert [tuple(r) for r in await query(database, EVENTS)] == [
        (f"s{i}", seconds[f"s{i}"], 2, 1) for i in range(LEADS)
    ]
    calls = await query(database, "SELECT lead_id, count(*) AS n FROM call_attempts GROUP BY 1")
    assert sorted(r["n"] for r in calls) == [2] * LEADS  # never dialled again
    states = await query(database, "SELECT DISTINCT state FROM phone_schedule")
    assert [r["state"] for r in states] == ["switched"]
