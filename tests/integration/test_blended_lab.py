"""Blended agents: a campaign keeps ``agents.inbound_reserve`` of its queue for inbound calls.

The lab queue has 10 agents; the campaign keeps half of them for inbound callers, and has
far more leads than agents, every customer answering and talking long. Its calls must never
take more than five agents, and five stay ready for a caller; an inbound caller who then
takes one of those five counts towards the reserve, so the campaign still dials no more.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.daemon import CAMPAIGN, Dialer, fresh_database, lab_world, wait_until
from tests.integration.lab import Lab
from tests.integration.test_agent_states_lab import inbound_call, status

_FRESH = random.Random().sample(range(1_000_000, 9_999_999), 30)
NUMBERS = [f"+38050{n}" for n in _FRESH]
LONG_CALLS = {"LAB_ANSWER_PCT": "100", "LAB_RING_MIN_S": "1", "LAB_RING_MAX_S": "1",
              "LAB_TALK_MIN_S": "40", "LAB_TALK_MAX_S": "40"}  # fmt: skip
BLENDED = CAMPAIGN + "agents:\n  inbound_reserve: 0.5\n"


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


def agent_states(port: int) -> dict[str, int]:
    states: dict[str, int] = status(port)["agent_states"]
    return states


async def watch(port: int, samples: int) -> list[dict[str, int]]:
    seen = []
    for _ in range(samples):
        seen.append(agent_states(port))
        await asyncio.sleep(0.5)
    return seen


async def test_the_inbound_reserve_keeps_agents_free_for_callers(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    assert lab.agents == 10
    dialer = Dialer(lab, database, tmp_path, campaign_yaml=BLENDED)
    rows = [f"L{n},Lead {n},{number}" for n, number in enumerate(NUMBERS)]
    (tmp_path / "leads.csv").write_text("external_id,name,phone\n" + "\n".join(rows) + "\n")
    dialer.import_csv(tmp_path / "leads.csv")
    port = dialer.metrics_port

    async def five_on_calls() -> bool | str:
        try:
            states = agent_states(port)
        except (KeyError, IndexError) as exc:
            return f"no status yet: {exc!r}"
        return True if states["dialer_call"] >= 5 else f"{states}"

    async with lab_world(lab, **LONG_CALLS) as ami:
        dialer.start()
        try:
            await wait_until(five_on_calls, timeout_s=40, interval_s=0.5)
            before = await watch(port, 10)
            await inbound_call(ami, lab)
            after = await watch(port, 10)
        finally:
            assert dialer.stop() == 0
    assert max(s["dialer_call"] for s in before + after) == 5, before + after
    assert min(s["ready"] for s in before) == 5, before  # kept for inbound callers
    assert max(s["inbound_call"] for s in after) == 1, after
    assert after[-1]["ready"] == 4, after  # the caller took one of the reserve
