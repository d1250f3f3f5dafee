"""Blended agents: a campaign keeps ``agents.inbound_reserve`` of its queue for inbound calls,
and learns the handle times of the inbound queues its agents also serve.

The lab queue has 10 agents; the campaign keeps half of them for inbound callers, and has
far more leads than agents, every customer answering and talking long. Its calls must never
take more than five agents, and five stay ready for a caller; an inbound caller who then
takes one of those five counts towards the reserve, so the campaign still dials no more.

In the second test the same agents are members of ``lab-support`` too: callers of that
queue talk 2 s, and the campaign must learn exactly the talk times Asterisk's queue_log
gives those calls and how often they come, show a caller waiting while every support agent
is paused there, and show an agent on a support call as on an inbound call of that queue.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ami import AmiClient
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


SUPPORT = "lab-support"
SUPPORT_TALK_S = 2
SUPPORT_CALLS = 12
WATCHING = CAMPAIGN + f"agents:\n  inbound_queues: [{SUPPORT}]\n"


async def support_call(ami: AmiClient, talk_s: int) -> str:
    """A caller of the support queue, whose agent talks ``talk_s``; its queue_log call id."""
    call_id = f"support-{uuid.uuid4()}"
    action = {
        "Channel": "Local/s@lab-answer",
        "Application": "Queue",
        "Data": SUPPORT,
        "Async": "true",
        "ChannelId": call_id,
        "OtherChannelId": f"{call_id}-2",
        "Variable": f"__LAB_CALL_TALK_S={talk_s}",
    }
    (await ami.send_action("Originate", action)).raise_for_error()
    return call_id


async def members(ami: AmiClient, lab: Lab, join: bool) -> None:
    for n in range(1, lab.agents + 1):
        interface = f"Local/agent{n:02d}@lab-agents/n"
        if join:
            add = {"Queue": SUPPORT, "Interface": interface, "MemberName": f"agent{n:02d}"}
            (await ami.send_action("QueueAdd", add)).raise_for_error()
        else:
            await ami.send_action("QueueRemove", {"Queue": SUPPORT, "Interface": interface})


def talk_times(lab: Lab, call_ids: set[str]) -> list[int]:
    """Asterisk's own talk time of each completed call, from queue_log."""
    times = []
    for line in lab.queue_log.read_text(errors="replace").splitlines():
        parts = line.split("|")
        if len(parts) > 6 and parts[1] in call_ids and parts[4].startswith("COMPLETE"):
            times.append(int(parts[6]))
    return times


def support_model(port: int) -> dict[str, Any] | None:
    try:
        queues = status(port)["inbound"]["queues"]
    except (KeyError, IndexError):
        return None
    return next((q for q in queues if q["queue"] == SUPPORT), None)


async def test_the_campaign_learns_an_inbound_queues_talk_times_and_follows_its_calls(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    dialer = Dialer(lab, database, tmp_path, campaign_yaml=WATCHING)
    port = dialer.metrics_port
    call_ids: set[str] = set()

    async def all_learnt() -> bool | str:
        model = support_model(port)
        done = len(talk_times(lab, call_ids))
        learnt = model["calls_learnt"] if model else 0
        return True if done == SUPPORT_CALLS and learnt == done else f"{done} done, {model}"

    async def on_support_call() -> bool | str:
        try:
            campaign = status(port)
        except IndexError as exc:
            return f"no status yet: {exc!r}"
        calls, states = campaign["inbound"]["on_calls"], campaign["agent_states"]
        on = [c for c in calls if c["queue"] == SUPPORT and c["elapsed_s"] >= 1.0]
        return True if on and states["inbound_call"] == 1 else f"{calls} {states}"

    async with lab_world(lab, LAB_RING_MIN_S="1", LAB_RING_MAX_S="1") as ami:
        await members(ami, lab, join=True)
        dialer.start()
        try:
            await wait_until(lambda: seen_agents(port), timeout_s=30, interval_s=0.5)
            for _ in range(SUPPORT_CALLS):
                call_ids.add(await support_call(ami, SUPPORT_TALK_S))
            await wait_until(all_learnt, timeout_s=60, interval_s=1.0)
            learnt = support_model(port)
            await pause_support(ami, lab, True)
            long_call = await support_call(ami, 30)
            await wait_until(lambda: inbound_waiting(port, 1), timeout_s=20, interval_s=0.5)
            waiting = status(port)["inbound"]
            await pause_support(ami, lab, False)
            await wait_until(lambda: inbound_waiting(port, 0), timeout_s=20, interval_s=0.5)
            await wait_until(on_support_call, timeout_s=30, interval_s=0.5)
            campaign = status(port)
        finally:
            await ami.send_action("Hangup", {"Channel": "/^Local/s@lab-answer-.*$/"})
            await members(ami, lab, join=False)
            assert dialer.stop() == 0
    truth = talk_times(lab, call_ids)
    assert learnt is not None
    assert learnt["forecast"] == "own"  # ten calls or more: its own model forecasts them
    # Asterisk's own talk times, to the half second the model's 1-second bins keep
    assert len(truth) == SUPPORT_CALLS
    assert abs(learnt["mean_talk_s"] - sum(truth) / len(truth)) <= 0.5, (learnt, truth)
    assert long_call not in call_ids
    assert waiting["waiting"] == 1
    assert waiting["connects_per_hour"] > 0  # the twelve support calls
    (on_call,) = campaign["inbound"]["on_calls"]
    assert on_call["queue"] == SUPPORT
    assert on_call["agent"].startswith("Local/agent")


async def pause_support(ami: AmiClient, lab: Lab, paused: bool) -> None:
    for n in range(1, lab.agents + 1):
        headers = {"Queue": SUPPORT, "Interface": f"Local/agent{n:02d}@lab-agents/n"}
        await ami.send_action("QueuePause", {**headers, "Paused": str(paused).lower()})


async def inbound_waiting(port: int, count: int) -> bool | str:
    try:
        inbound = status(port)["inbound"]
    except (KeyError, IndexError) as exc:
        return f"no status yet: {exc!r}"
    return True if inbound["waiting"] == count else f"{inbound}"


async def seen_agents(port: int) -> bool | str:
    try:
        states = agent_states(port)
    except (KeyError, IndexError) as exc:
        return f"no status yet: {exc!r}"
    return True if states["ready"] >= 5 else f"{states}"
