"""A customer's preferred call time set through the HTTP API while the campaign runs.

Every customer is busy and is redialled a second later. Once `POST /preferred-time` gives
the lead a window two hours ahead on the customer's (Kyiv) clock, the daemon places no
further call to it (Asterisk's CDR has none a second after the answer) and its phone waits,
scheduled for the opening of the window it chose; a bad window or an unknown lead is
refused naming the field.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.integration.daemon import Dialer, fresh_database, lab_world, post_json, query, wait_until
from tests.integration.lab import Lab
from tests.integration.test_dnc_lab import ALL_BUSY, REDIAL_ALL, starts_of
from tests.integration.test_windows_lab import next_wall_time

KYIV = ZoneInfo("Europe/Kyiv")
ALWAYS = (
    'calling_window:\n  hours:\n    mon-sun: "00:00-24:00"\n  fallback_time_zone: Europe/Kyiv\n'
)


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


async def dialled_twice(database: str) -> bool | str:
    rows = await query(database, "SELECT count(*) AS n FROM call_attempts")
    return True if rows[0]["n"] >= 2 else f"{rows[0]['n']} attempts"


async def test_a_preferred_time_set_by_api_holds_the_next_attempt_until_it_opens(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    number = f"+38050{random.Random().randrange(1_000_000, 9_999_999)}"
    dialer = Dialer(lab, database, tmp_path, retry_s=1, campaign_yaml=REDIAL_ALL + ALWAYS)
    (tmp_path / "leads.csv").write_text(f"external_id,name,phone\nP1,Olena,{number}\n")
    dialer.import_csv(tmp_path / "leads.csv")
    (lead,) = await query(database, "SELECT id FROM leads")
    opens = (
        (datetime.now(UTC) + timedelta(hours=2)).astimezone(KYIV).replace(second=0, microsecond=0)
    )
    chosen = f"{opens:%H:%M}-{opens + timedelta(hours=1):%H:%M}"
    port = dialer.metrics_port
    async with lab_world(lab, **ALL_BUSY):
        dialer.start()
        try:
            await wait_until(lambda: dialled_twice(database), timeout_s=60, interval_s=0.5)
            bad = post_json(port, "/preferred-time", {"lead_id": lead["id"], "call_window": "9-5"})
            unknown = post_json(port, "/preferred-time", {"lead_id": 0, "call_window": chosen})
            status, answer = post_json(
                port, "/preferred-time", {"lead_id": lead["id"], "call_window": chosen}
            )
            answered = datetime.now(UTC)
            await asyncio.sleep(8)  # about four redials, were the window not honoured
        finally:
            assert dialer.stop() == 0
    assert (status, answer) == (200, {"lead_id": lead["id"], "call_window": chosen})
    assert (bad[0], bad[1]["field"]) == (400, "call_window"), bad
    assert (unknown[0], unknown[1]["field"]) == (404, "lead_id"), unknown
    late = [s for s in starts_of(lab, number) if s > answered + timedelta(seconds=1)]
    assert late == [], f"called at {late} after the customer chose {chosen}"
    (phone,) = await query(database, "SELECT state, next_dial_at FROM phone_schedule")
    assert phone["state"] == "scheduled"
    assert phone["next_dial_at"] == next_wall_time(KYIV, opens.time(), answered)
