"""The channel switch in the real daemon: leads nobody answers stop being called after the
campaign's count of ineffective attempts, each recorded once in channel_switch_events.

Every customer is busy and is redialled a second later; without the rule the campaign would
go on calling (its caps allow 50 attempts). With `channel_switch: {after_ineffective: 2}`
each lead is called exactly twice, its phones end `switched`, its event names its
second attempt, and the campaign's follow-up webhook receives one `channel_switch` event per
lead (the cue for an SMS / e-mail gateway to take over).
"""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.integration.daemon import Dialer, fresh_database, lab_world, query, wait_until
from tests.integration.lab import Lab
from tests.integration.test_dnc_lab import ALL_BUSY, REDIAL_ALL
from tests.webhook_server import webhook_server

LEADS = 3
SWITCHING = REDIAL_ALL.replace(
    "  max_attempts_per_phone: 50\n",
    "  max_attempts_per_phone: 50\n  channel_switch: {{after_ineffective: 2, within_days: 1}}\n",
)
FOLLOWUPS = """\
followups:
  url: "{url}"
  secret: "channel-switch-secret"
  kinds: [channel_switch]
  delivery:
    max_tries: 5
    backoff_s: 0.5
    max_backoff_s: 1
    timeout_s: 1
"""
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
    with webhook_server() as server:
        campaign = SWITCHING + FOLLOWUPS.format(url=server.url)
        dialer = Dialer(lab, database, tmp_path, retry_s=1, campaign_yaml=campaign)

        async def sent() -> bool | str:
            got = len(server.delivered())
            return True if got >= LEADS else f"{got} of {LEADS} webhooks received"

        await dial_until_switched(lab, database, tmp_path, dialer, sent)
        delivered = server.delivered()
    seconds = {r["external_id"]: r["attempt_id"] for r in await query(database, SECOND_ATTEMPTS)}
    assert [tuple(r) for r in await query(database, EVENTS)] == [
        (f"s{i}", seconds[f"s{i}"], 2, 1) for i in range(LEADS)
    ]
    calls = await query(database, "SELECT lead_id, count(*) AS n FROM call_attempts GROUP BY 1")
    assert sorted(r["n"] for r in calls) == [2] * LEADS  # never dialled again
    states = await query(database, "SELECT DISTINCT state FROM phone_schedule")
    assert [r["state"] for r in states] == ["switched"]
    got = sorted((d.payload()["lead"]["external_id"], d.key) for d in delivered)
    assert got == [(f"s{i}", f"channel_switch:{seconds[f's{i}']}") for i in range(LEADS)]
    assert {d.payload()["channel_switch"]["ineffective_attempts"] for d in delivered} == {2}


async def dial_until_switched(
    lab: Lab, database: str, tmp_path: Path, dialer: Dialer, sent: Callable[[], Awaitable[object]]
) -> None:
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
            await wait_until(sent, timeout_s=20, interval_s=0.5)
        finally:
            code = dialer.stop(signal.SIGTERM)
    assert code == 0, dialer.log_text()[-3000:]
