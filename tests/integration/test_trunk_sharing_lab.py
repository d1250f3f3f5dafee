"""Two campaigns on one trunk whose cap is below their combined wish: the real daemon, the
lab's Asterisk, and two judges, the stored attempts' own times and Asterisk's CDR.

Every customer is busy after a second or two, so calls are short and many. The trunk allows
3 channels; each campaign alone would use up to 10 lines. The low-priority campaign dials
first, on its own; then leads of a priority-1 campaign arrive. From that moment until the
last of them is dialled, the low campaign places no new call (/status says it is held by
the trunk), and at no instant are more than 3 calls on the trunk.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ami import AmiClient
from tests.integration.daemon import Dialer, fresh_database, lab_world, query, wait_until
from tests.integration.lab import Lab
from tests.integration.test_dnc_lab import ALL_BUSY
from tests.integration.test_status_lab import codes_by_campaign, page

CAP = 3
HIGH_LEADS, LOW_LEADS = 12, 40
SECOND_QUEUE_AGENTS = 6
_FRESH = random.Random().sample(range(1_000_000, 9_999_999), HIGH_LEADS + LOW_LEADS)
HIGH = [f"+38063{n}" for n in _FRESH[:HIGH_LEADS]]
LOW = [f"+38063{n}" for n in _FRESH[HIGH_LEADS:]]
CAMPAIGN = """\
name: {{name}}
priority: {priority}
queue: {queue}
region: UA
dial:
  trunk: "Local/{{{{number}}}}@{{context}}"
  trunk_name: carrier
  ring_timeout_s: 15
  caller_id: "+442079460000"
lines:
  max_lines: 10
  calls_per_second: 20
retry:
  max_attempts_per_lead: 1
lease_s: 30
"""
END_OF_RUN = datetime.max.replace(tzinfo=UTC)
TRUNKS = f"trunks:\n  carrier: {{max_channels: {CAP}, max_cps: 20}}\n"


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


def leads_file(path: Path, numbers: list[str]) -> Path:
    rows = [f"{path.stem}-{i},Customer {i},{number}" for i, number in enumerate(numbers)]
    path.write_text("external_id,name,phone\n" + "\n".join(rows) + "\n")
    return path


def most_at_once(spans: Iterable[tuple[Any, Any]]) -> int:
    """The largest number of spans open at one instant (one ending as another starts: apart)."""
    edges = sorted((t, step) for start, end in spans for t, step in ((start, 1), (end, -1)))
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


async def second_queue_agents(ami: AmiClient, lab: Lab, add: bool) -> None:
    for n in range(SECOND_QUEUE_AGENTS):
        interface = {"Queue": lab.second_queue, "Interface": f"Local/agent{81 + n}@lab-agents/n"}
        if add:
            await ami.send_action("QueueAdd", {**interface, "MemberName": f"agent{81 + n}"})
        else:
            await ami.send_action("QueueRemove", interface)


async def attempts(database: str, numbers: list[str]) -> list[Any]:
    sql = "SELECT created_at, ended_at FROM call_attempts WHERE number = ANY($1) ORDER BY 1"
    return await query(database, sql, numbers)


async def dialled(database: str, numbers: list[str], at_least: int) -> bool | str:
    found = len(await attempts(database, numbers))
    return True if found >= at_least else f"{found} of {at_least} dialled"


async def low_held_by_trunk(dialer: Dialer, seen: set[str]) -> None:
    while True:
        _, status = await page(dialer, "/status")
        seen.update(codes_by_campaign(status).get("low", []))
        await asyncio.sleep(0.3)


async def test_a_shared_trunk_cap_holds_and_the_higher_priority_goes_first(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    high = CAMPAIGN.format(priority=1, queue=lab.queue)
    low = CAMPAIGN.format(priority=0, queue=lab.second_queue)
    dialer = Dialer(
        lab, database, tmp_path, campaign="high", campaign_yaml=high,
        more_campaigns={"low": low}, extra_config=TRUNKS,
    )  # fmt: skip
    dialer.cli("leads", "import", "low", str(leads_file(tmp_path / "low.csv", LOW)))
    seen: set[str] = set()
    async with lab_world(lab, **ALL_BUSY) as ami:
        await second_queue_agents(ami, lab, add=True)
        started = time.monotonic()
        dialer.start(env={"PYTHONFAULTHANDLER": "1"})
        watcher = asyncio.create_task(low_held_by_trunk(dialer, seen))
        try:
            await wait_until(lambda: dialled(database, LOW, CAP), timeout_s=60, interval_s=0.3)
            dialer.cli("leads", "import", "high", str(leads_file(tmp_path / "high.csv", HIGH)))
            await wait_until(lambda: dialled(database, HIGH, HIGH_LEADS), 60, interval_s=0.5)
            await asyncio.sleep(3)  # the last calls end
        finally:
            watcher.cancel()
            code = dialer.stop(signal.SIGTERM)
            await second_queue_agents(ami, lab, add=False)
    print(f"trunk sharing lab run: {time.monotonic() - started:.1f} s")
    assert code == 0, dialer.log_text()[-3000:]

    ours = await attempts(database, HIGH), await attempts(database, LOW)
    # An attempt the stop cut short between its row and its Originate has no end (the next
    # start settles it): it counts as holding a channel until the end of the run.
    spans = [(a["created_at"], a["ended_at"] or END_OF_RUN) for a in ours[0] + ours[1]]
    ended = sum(a["ended_at"] is not None for a in ours[0] + ours[1])
    assert ended >= len(spans) - 2, spans  # at most one per runner
    assert most_at_once(spans) == CAP  # reached, never exceeded (dialerd's own times)
    cdr = [
        (datetime.fromisoformat(r["start"]), datetime.fromisoformat(r["end"]))
        for r in lab.cdr_rows()
        if r["channel"].endswith(";1")
        and r["channel"].split("/", 1)[-1].split("@", 1)[0] in set(HIGH + LOW)
    ]
    assert ended <= len(cdr) <= len(spans)
    assert most_at_once(cdr) <= CAP  # Asterisk's own view (whole seconds)

    first_high, last_high = ours[0][0]["created_at"], ours[0][-1]["created_at"]
    margin = timedelta(seconds=1)  # a batch of low's granted before high's first ask
    low_meanwhile = [
        a["created_at"] for a in ours[1] if first_high + margin < a["created_at"] < last_high
    ]
    assert low_meanwhile == [], (first_high, last_high, low_meanwhile)
    assert any(a["created_at"] > last_high for a in ours[1])  # low goes on afterwards
    assert "trunk_at_cap" in seen, seen
