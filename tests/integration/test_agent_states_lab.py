"""Agent states in /status and the metrics, from the lab's real queue members.

A preview campaign (it places no call of its own) watches the lab queue. One agent is
paused with a reason through AMI, a call that dialerd did not place joins the queue (an
inbound caller: the agent who takes it is a blended agent), then an agent asks for a lead
and dials it. /status and ``dialerd_agent_states`` must show each: paused with its reason,
on an inbound call, on a dialer call, and the rest ready.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ami import AmiClient
from tests.integration.daemon import (
    CAMPAIGN,
    Dialer,
    fresh_database,
    lab_world,
    post_json,
    scrape,
    wait_until,
)
from tests.integration.lab import Lab
from tests.integration.test_status_lab import get

NUMBER = f"+38050{random.Random().randrange(1_000_000, 9_999_999)}"
PAUSED = "Local/agent01@lab-agents/n"
LONG_CALLS = {"LAB_ANSWER_PCT": "100", "LAB_RING_MIN_S": "1", "LAB_RING_MAX_S": "1",
              "LAB_TALK_MIN_S": "25", "LAB_TALK_MAX_S": "25"}  # fmt: skip
PREVIEW = CAMPAIGN.replace("mode: progressive", "mode: preview")


@pytest.fixture
async def database(lab: Lab) -> AsyncIterator[str]:
    async with fresh_database(lab) as url:
        yield url


def status(port: int) -> dict[str, Any]:
    """The first campaign of /status (IndexError while the daemon does not answer yet)."""
    campaign: dict[str, Any] = get(port, "/status")[1]["campaigns"][0]
    return campaign


async def pause(ami: AmiClient, lab: Lab, paused: bool) -> None:
    headers = {"Queue": lab.queue, "Interface": PAUSED, "Paused": str(paused).lower()}
    (await ami.send_action("QueuePause", {**headers, "Reason": "lunch"})).raise_for_error()


async def inbound_call(ami: AmiClient, lab: Lab) -> None:
    """A caller dialerd knows nothing of, straight into the queue."""
    action = {"Channel": "Local/s@lab-answer", "Application": "Queue", "Data": lab.queue}
    (await ami.send_action("Originate", {**action, "Async": "true"})).raise_for_error()


async def seen(port: int, state: str, count: int) -> bool | str:
    try:
        counts = status(port)["agent_states"]
    except (OSError, KeyError, IndexError) as exc:
        return f"no status yet: {exc!r}"
    return True if counts[state] >= count else f"agent states {counts}"


async def test_status_and_metrics_show_what_each_agent_is_doing(
    lab: Lab, database: str, tmp_path: Path
) -> None:
    dialer = Dialer(lab, database, tmp_path, campaign_yaml=PREVIEW)
    (tmp_path / "leads.csv").write_text(f"external_id,name,phone\nL1,Olena,{NUMBER}\n")
    dialer.import_csv(tmp_path / "leads.csv")
    port = dialer.metrics_port
    async with lab_world(lab, **LONG_CALLS) as ami:
        await pause(ami, lab, True)
        dialer.start()
        try:
            await wait_until(lambda: seen(port, "paused", 1), timeout_s=30, interval_s=0.5)
            await inbound_call(ami, lab)
            await wait_until(lambda: seen(port, "inbound_call", 1), timeout_s=30, interval_s=0.5)
            ask = {"campaign": "labtest", "agent": "agent05"}
            _, held = post_json(port, "/preview/next", ask)
            body = {"reservation_id": held["reservation_id"], "agent": "agent05"}
            dialled = post_json(port, "/preview/dial", body)
            await wait_until(lambda: seen(port, "dialer_call", 1), timeout_s=30, interval_s=0.5)
            campaign = status(port)
            samples = scrape(port)
        finally:
            await pause(ami, lab, False)
            assert dialer.stop() == 0
    assert dialled[0] == 201, dialled
    counts = campaign["agent_states"]
    assert (counts["paused"], counts["inbound_call"], counts["dialer_call"]) == (1, 1, 1)
    assert counts["ready"] == lab.agents - 3, counts
    listed = {a["interface"]: a for a in campaign["agent_list"]}
    assert listed[PAUSED] == {
        "name": "agent01",
        "interface": PAUSED,
        "state": "paused",
        "pause_reason": "lunch",
    }

    def sample(name: str, **labels: str) -> float:
        return samples[(name, frozenset({"campaign": "labtest", **labels}.items()))]

    assert sample("dialerd_agent_states", state="inbound_call") == 1
    assert sample("dialerd_agent_states", state="dialer_call") == 1
    assert sample("dialerd_agent_states", state="paused") == 1
    assert sample("dialerd_agents_paused", reason="lunch") == 1
