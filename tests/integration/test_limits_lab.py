"""Two nodes against one PostgreSQL never exceed a rolling cap: two real daemons, the lab's
Asterisk, and Asterisk's own CDR as the judge.

Four numbers, each held by three leads in each of two campaigns (six leads, the same person);
both nodes run both campaigns, three lines each, and the leads are imported once both are
running. Every customer is busy and redialled every few seconds, and the campaigns allow 2
calls per number per hour (scope number). Both nodes claim leads of the same number in the
same rounds, so their batch checks pass together; only the re-check under the number's lock
stands between them and a third call. A third campaign without limits, on
numbers of its own, shows that the same run redials an unlimited number well past two.
"""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.daemon import Dialer, fresh_database, lab_world, query, wait_until
from tests.integration.lab import Lab
from tests.integration.test_dnc_lab import ALL_BUSY, REDIAL_ALL, starts_of

_FRESH = random.Random().sample(range(1_000_000, 9_999_999), 6)
CAPPED = [f"+38067{n}" for n in _FRESH[:4]]  # two calls an hour, whoever dials
FREE = [f"+38067{n}" for n in _FRESH[4:]]  # the control: no limits
LEADS_PER_NUMBER = 3  # in each of the two limited campaigns
RETRY_S = 3
WATCH_S = 25  # about six redial cycles: an unlimited number is called several times
# Three lines per campaign and node: a node's batch holds a number's three leads at once, and
# neither node can take a whole campaign in one round, so both nodes dial the same numbers at
# the same moments (the races the cap must survive, within a batch and across nodes).
LIMITED = (
    REDIAL_ALL.replace("max_lines: 40", "max_lines: 3")
    + """\
limits:
  rolling:
    - calls: 2
      per_h: 1
      scope: number
"""
)


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


def leads_file(path: Path, campaign: str, numbers: list[str], per_number: int) -> Path:
    rows = ["external_id,name,phones"]
    rows += [
        f"{campaign}-{i}-{k},Customer {i},{number}"
        for i, number in enumerate(numbers)
        for k in range(per_number)
    ]
    path.write_text("\n".join(rows) + "\n")
    return path


def node(lab: Lab, database: str, workdir: Path, name: str) -> Dialer:
    return Dialer(
        lab,
        database,
        workdir,
        campaign="lim-a",
        node=name,
        retry_s=RETRY_S,
        campaign_yaml=LIMITED,
        more_campaigns={"lim-b": LIMITED, "lim-free": REDIAL_ALL},
    )


async def both_running(*dialers: Dialer) -> bool | str:
    """Every campaign of every node has loaded its agents: it is dialling what is due."""
    loaded = [d.log_text().count('"event": "agents_loaded"') for d in dialers]
    return True if min(loaded) >= 3 else f"agents loaded per node: {loaded}"


async def test_two_nodes_never_exceed_a_rolling_cap_per_number(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    first = node(lab, database, tmp_path / "a", "node-a")
    second = node(lab, database, tmp_path / "b", "node-b")
    assert all(starts_of(lab, n) == [] for n in CAPPED + FREE), "fresh numbers for this test"
    async with lab_world(lab, 0, **ALL_BUSY):
        first.start()
        second.start()
        try:
            await wait_until(lambda: both_running(first, second), timeout_s=60, interval_s=0.5)
            for campaign in ("lim-a", "lim-b"):
                path = leads_file(tmp_path / f"{campaign}.csv", campaign, CAPPED, LEADS_PER_NUMBER)
                first.cli("leads", "import", campaign, str(path))
            free = leads_file(tmp_path / "free.csv", "free", FREE, 1)
            first.cli("leads", "import", "lim-free", str(free))
            await asyncio.sleep(WATCH_S)
        finally:
            codes = (first.stop(signal.SIGTERM), second.stop(signal.SIGTERM))
    assert codes == (0, 0), (first.log_text() + second.log_text())[-3000:]
    stopped_at = datetime.now(UTC)

    calls = {n: len(starts_of(lab, n)) for n in CAPPED + FREE}
    assert all(calls[n] == 2 for n in CAPPED), calls  # the cap, reached and never exceeded
    assert all(calls[n] >= 4 for n in FREE), calls  # unlimited, the same run redials on
    by_node = await query(
        database,
        "SELECT node, count(*) AS calls FROM call_attempts WHERE number = ANY($1) GROUP BY node",
        CAPPED,
    )
    assert {r["node"] for r in by_node} == {"node-a", "node-b"}, by_node
    # Nobody dropped: every phone of a capped number waits for the hour to pass.
    waiting = await query(
        database,
        "SELECT s.state, s.next_dial_at FROM phone_schedule s"
        " JOIN lead_phones p ON p.id = s.phone_id WHERE p.number = ANY($1)",
        CAPPED,
    )
    assert len(waiting) == len(CAPPED) * LEADS_PER_NUMBER * 2
    soonest = stopped_at + timedelta(minutes=55)
    assert all(w["state"] == "scheduled" and w["next_dial_at"] > soonest for w in waiting), waiting
    logs = first.log_text() + second.log_text()
    assert "2 calls per 1 h to the number reached" in logs
