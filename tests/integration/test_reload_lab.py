"""SIGHUP against the running daemon: a broken file keeps the running configuration (and is
counted), a campaign removed stops dialing, and the campaign put back dials again."""

from __future__ import annotations

import asyncio
import os
import random
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.daemon import Dialer, fresh_database, lab_world, query, scrape, wait_until
from tests.integration.lab import Lab

ALL_BUSY = {"LAB_ANSWER_PCT": "0", "LAB_BUSY_PCT": "100", "LAB_CONGESTION_PCT": "0"}


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


async def attempts(url: str) -> int:
    rows = await query(url, "SELECT count(*) AS n FROM call_attempts")
    return int(rows[0]["n"])


def write_leads(path: Path, count: int) -> None:
    numbers = random.Random(7).sample(range(1_000_000, 9_999_999), count)
    rows = [f"R{n},Lead {n},+38050{number}" for n, number in enumerate(numbers)]
    path.write_text("external_id,name,phone\n" + "\n".join(rows) + "\n")


async def test_reload_stops_keeps_and_resumes_a_campaign(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    dialer = Dialer(lab, database, tmp_path, retry_s=600)
    write_leads(tmp_path / "leads.csv", 400)
    dialer.import_csv(tmp_path / "leads.csv")
    campaign = tmp_path / "campaigns" / f"{dialer.campaign}.yaml"
    async with lab_world(lab, **ALL_BUSY):
        dialer.start()
        try:
            assert dialer.process is not None
            pid = dialer.process.pid
            await wait_until(lambda: at_least(database, 20), timeout_s=60, interval_s=0.5)
            text = campaign.read_text()
            campaign.write_text(text.replace("queue:", "queue: [broken"))
            os.kill(pid, signal.SIGHUP)
            await wait_until(
                lambda: logged(dialer, "config_reload_rejected"), timeout_s=10, interval_s=0.2
            )
            failures = ("dialerd_config_reload_failures_total", frozenset())
            refused = scrape(dialer.metrics_port)
            assert refused[failures] == 1
            assert refused[("dialerd_config_last_reload_successful", frozenset())] == 0
            kept = await attempts(database)  # the running configuration goes on dialing
            await wait_until(lambda: at_least(database, kept + 20), timeout_s=60, interval_s=0.5)
            campaign.unlink()
            os.kill(pid, signal.SIGHUP)
            await wait_until(
                lambda: logged(dialer, "config_reloaded"), timeout_s=10, interval_s=0.2
            )
            taken = scrape(dialer.metrics_port)
            assert taken[("dialerd_config_last_reload_successful", frozenset())] == 1
            assert taken[("dialerd_config_last_reload_timestamp_seconds", frozenset())] > 0
            await asyncio.sleep(5)  # calls in flight end; no new dial starts
            stopped = await attempts(database)
            await asyncio.sleep(5)
            assert await attempts(database) == stopped, "a removed campaign kept dialing"
            campaign.write_text(text)
            os.kill(pid, signal.SIGHUP)
            await wait_until(
                lambda: logged(dialer, "campaign_resumed"), timeout_s=10, interval_s=0.2
            )
            await wait_until(lambda: at_least(database, stopped + 20), timeout_s=60, interval_s=0.5)
        finally:
            code = dialer.stop(signal.SIGTERM)
    assert code == 0, dialer.log_text()[-3000:]


async def at_least(url: str, count: int) -> bool | str:
    made = await attempts(url)
    return True if made >= count else f"{made} attempts"


async def logged(dialer: Dialer, event: str) -> bool | str:
    return True if f'"{event}"' in dialer.log_text() else f"no {event} yet"
