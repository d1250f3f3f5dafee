"""Do-not-call while a campaign runs: the real daemon, the lab's Asterisk and PostgreSQL.

Every customer is busy, so each number is redialled every few seconds. One number (held by
two leads) is added to the global do-not-call list with `dialerd dnc add` mid-campaign. What
is checked comes from Asterisk's own CDR, not from dialerd: the number was being dialled
before, it is never dialled after the command returned, and the campaign went on dialling
everybody else (the lead's second number included) for that whole time.
"""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.daemon import CAMPAIGN, Dialer, fresh_database, lab_world, query, wait_until
from tests.integration.lab import Lab

# Fresh numbers each run: Asterisk's CDR keeps the calls of earlier runs.
_FRESH = random.Random().sample(range(1_000_000, 9_999_999), 14)
TARGET = f"+38050{_FRESH[0]}"  # on DNC mid-campaign; two leads hold it
SECOND = f"+38050{_FRESH[1]}"  # the first lead's other number
OTHERS = [f"+38050{n}" for n in _FRESH[2:]]
RETRY_S = 4
ALL_BUSY = {
    "LAB_ANSWER_PCT": "0", "LAB_BUSY_PCT": "100", "LAB_CONGESTION_PCT": "0",
    "LAB_BUSY_MIN_S": "1", "LAB_BUSY_MAX_S": "2",
}  # fmt: skip
# The lab campaign, with room for every number to be redialled all through the test.
REDIAL_ALL = (
    CAMPAIGN.replace("max_attempts: 2}", "max_attempts: 50}")
    .replace("max_attempts_per_phone: 2", "max_attempts_per_phone: 50")
    .replace("max_attempts_per_lead: 3", "max_attempts_per_lead: 60")
)
WATCH_S = 30  # after the add: long enough for ~4 more redials of TARGET without DNC
# CDR start times are whole seconds; the bound is "in force within 1 s of the add".
TOLERANCE = timedelta(seconds=1)


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


def write_leads(path: Path) -> None:
    lines = [
        "external_id,name,phones",
        f"L-target,Target,{TARGET}|{SECOND}",
        f"L-twin,Twin,{TARGET}",
    ]
    lines += [f"L{n},Other {n},{number}" for n, number in enumerate(OTHERS)]
    path.write_text("\n".join(lines) + "\n")


def starts_of(lab: Lab, number: str) -> list[datetime]:
    """When Asterisk started each call to `number`, from its CDR.

    One row per call: the originated half of the Local channel (`Local/<number>@...;1`,
    whose uniqueid is the attempt id); the `;2` half that plays the customer is left out.
    """
    return sorted(
        datetime.fromisoformat(row["start"]).replace(tzinfo=UTC)
        for row in lab.cdr_rows()
        if row["channel"].endswith(";1")
        and row["channel"].split("/", 1)[-1].split("@", 1)[0] == number
    )


async def dialled_at_least(lab: Lab, number: str, times: int) -> bool | str:
    found = len(starts_of(lab, number))
    return True if found >= times else f"{number} dialled {found} times"


async def test_a_number_added_to_dnc_mid_campaign_is_never_dialled_again(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    dialer = Dialer(lab, database, tmp_path, retry_s=RETRY_S, campaign_yaml=REDIAL_ALL)
    write_leads(tmp_path / "leads.csv")
    dialer.import_csv(tmp_path / "leads.csv")
    before_run = len(lab.cdr_rows())
    assert starts_of(lab, TARGET) == [], "a fresh number for this test"
    async with lab_world(lab, **ALL_BUSY):
        dialer.start()
        try:
            await wait_until(lambda: dialled_at_least(lab, TARGET, 3), timeout_s=90, interval_s=0.5)
            added = dialer.run_cli("dnc", "add", TARGET, "--reason", "asked not to be called")
            returned_at = datetime.now(UTC)
            assert added.returncode == 0, added.stderr
            await asyncio.sleep(WATCH_S)
        finally:
            code = dialer.stop(signal.SIGTERM)
    assert code == 0, dialer.log_text()[-3000:]
    assert len(lab.cdr_rows()) > before_run

    target = starts_of(lab, TARGET)
    assert len(target) >= 3
    assert [s for s in target if s > returned_at + TOLERANCE] == [], (returned_at, target)
    # The campaign kept dialling all along: others were redialled through the whole watch.
    late = returned_at + timedelta(seconds=WATCH_S - 2 * RETRY_S)
    assert all(starts_of(lab, n)[-1] > late for n in OTHERS), "the campaign stopped dialling"
    # The lead holding the blocked number moved on to its other number.
    assert any(s > returned_at for s in starts_of(lab, SECOND))

    blocks = await query(
        database, "SELECT lead_id, reason, blocked_at FROM blocked_dials WHERE number = $1", TARGET
    )
    assert len({b["lead_id"] for b in blocks}) == 2, blocks  # both leads, once each
    assert all("global do-not-call list: asked not to be called" in b["reason"] for b in blocks)
    states = await query(
        database,
        "SELECT s.state FROM phone_schedule s JOIN lead_phones p ON p.id = s.phone_id"
        " WHERE p.number = $1",
        TARGET,
    )
    assert [r["state"] for r in states] == ["blocked", "blocked"]
    check = dialer.run_cli("dnc", "check", TARGET)
    assert "on the global do-not-call list" in check.stdout, check
