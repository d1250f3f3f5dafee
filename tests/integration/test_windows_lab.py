"""Calling windows in the real daemon: dialled inside, put back to the opening outside.

The campaign's hours are a two-hour band around the present moment in Kyiv, every day. A
Ukrainian number with no preference is inside it and is dialled; one whose lead prefers a
later slot inside the band, and one whose lead lives in Los Angeles (ten hours behind), are
not dialled (Asterisk's CDR has no call to them) and wait, scheduled for the exact instant
their window opens.
"""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.integration.daemon import CAMPAIGN, Dialer, fresh_database, lab_world, query, wait_until
from tests.integration.lab import Lab
from tests.integration.test_dnc_lab import ALL_BUSY, starts_of

KYIV = ZoneInfo("Europe/Kyiv")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


def hhmm(moment: datetime) -> str:
    return moment.astimezone(KYIV).strftime("%H:%M")


def band(start: datetime, end: datetime) -> list[str]:
    """Kyiv wall-clock ranges for [start, end), split at midnight if it crosses it."""
    first, last = hhmm(start), hhmm(end)
    if first < last:
        return [f"{first}-{last}"]
    return [f"00:00-{last}", f"{first}-24:00"] if last != "00:00" else [f"{first}-24:00"]


def next_wall_time(zone: ZoneInfo, wall: time, after: datetime) -> datetime:
    local = after.astimezone(zone)
    candidate = datetime.combine(local.date(), wall, tzinfo=zone)
    if candidate < local:
        candidate += timedelta(days=1)
    return candidate.astimezone(UTC)


async def test_only_customers_inside_their_window_are_dialled(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    base = datetime.now(UTC).replace(second=0, microsecond=0)
    opens, closes = base - timedelta(hours=1), base + timedelta(hours=1)
    ranges = ", ".join(f'"{r}"' for r in band(opens, closes))
    window = (
        f"calling_window:\n  hours:\n    mon-sun: [{ranges}]\n  fallback_time_zone: Europe/Kyiv\n"
    )
    later = base + timedelta(minutes=30)
    inside, preferring, far = (f"+38050{n}" for n in random.sample(range(10**6, 10**7), 3))
    (tmp_path / "leads.csv").write_text(
        "external_id,name,phone,time_zone,call_window\n"
        f"L-inside,Inside,{inside},,\n"
        f"L-later,Later,{preferring},,{hhmm(later)}-{hhmm(later + timedelta(minutes=20))}\n"
        f"L-far,Far,{far},America/Los_Angeles,\n"
    )
    dialer = Dialer(lab, database, tmp_path, retry_s=600, campaign_yaml=CAMPAIGN + window)
    dialer.import_csv(tmp_path / "leads.csv")
    async with lab_world(lab, **ALL_BUSY):
        dialer.start()
        try:
            await wait_until(lambda: deferred_both(database), timeout_s=30, interval_s=0.5)
            await asyncio.sleep(3)
        finally:
            code = dialer.stop(signal.SIGTERM)
    assert code == 0, dialer.log_text()[-3000:]

    assert len(starts_of(lab, inside)) == 1
    assert starts_of(lab, preferring) == []
    assert starts_of(lab, far) == []
    due = await due_times(database)
    assert due[preferring] == later
    assert due[far] == next_wall_time(LOS_ANGELES, opens.astimezone(KYIV).time(), base)


async def due_times(url: str) -> dict[str, datetime]:
    rows = await query(
        url,
        "SELECT p.number, s.next_dial_at FROM phone_schedule s"
        " JOIN lead_phones p ON p.id = s.phone_id WHERE s.state = 'scheduled'",
    )
    return {row["number"]: row["next_dial_at"] for row in rows}


async def deferred_both(url: str) -> bool | str:
    """True once the two outside their window are scheduled for later than now."""
    now = datetime.now(UTC)
    due = await due_times(url)
    later = [number for number, at in due.items() if at > now + timedelta(minutes=5)]
    return True if len(later) >= 2 else f"scheduled: {due}"
