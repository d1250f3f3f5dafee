"""Blended agents: a share of the staffed agents kept for inbound calls, out of pacing's sight."""

from __future__ import annotations

import pytest

from dialerd.agents import INUSE, NOT_INUSE, Agent, AgentBoard
from dialerd.config import Campaign
from dialerd.pacer import Pacer, Situation, ready_after_reserve


@pytest.mark.parametrize(
    ("ready", "staffed", "on_inbound", "share", "left"),
    [
        (10, 10, 0, 0.0, 10),  # no reserve: every ready agent
        (10, 10, 0, 0.3, 7),  # 3 of 10 kept, exactly (not 4 from 0.3 x 10 = 3.0000000000000004)
        (7, 10, 3, 0.3, 7),  # three on inbound calls already fill the reserve
        (6, 10, 1, 0.3, 4),  # one on an inbound call: two more kept
        (2, 10, 0, 0.5, 0),  # fewer ready than the reserve: none, never negative
        (5, 5, 0, 1.0, 0),  # a campaign that leaves its queue to inbound callers
        (3, 4, 0, 0.1, 2),  # a share of an agent is a whole agent
    ],
)
def test_the_reserve_holds_ready_agents_back(
    ready: int, staffed: int, on_inbound: int, share: float, left: int
) -> None:
    assert ready_after_reserve(ready, staffed, on_inbound, share) == left


def campaign(reserve: float) -> Campaign:
    return Campaign.model_validate(
        {
            "name": "c",
            "queue": "sales",
            "region": "UA",
            "dial": {"trunk": "Local/{number}@customers", "caller_id": "+442079460000"},
            "agents": {"inbound_reserve": reserve},
        }
    )


def test_pacing_sees_the_ready_agents_left_after_the_reserve() -> None:
    free = [Agent(f"L/{n}", f"a{n}", NOT_INUSE, paused=False, in_call=False) for n in range(8)]
    inbound = [Agent("L/x", "ax", INUSE, paused=False, in_call=True)]  # on no call of ours
    board = AgentBoard("sales", 0.0, {a.interface: a for a in free + inbound})
    seen = Situation(board, (), (), 0, lines_free=30, dials_allowed_now=10)
    pacer = Pacer.create(campaign(0.5))  # 5 of the 9 kept: one already on an inbound call
    assert pacer.inputs(seen, 0.0).ready_agents == 8 - 4
    pacer.reconfigure(campaign(0.0))
    assert pacer.inputs(seen, 0.0).ready_agents == 8


def test_the_reserve_is_a_share() -> None:
    with pytest.raises(ValueError, match="less than or equal to 1"):
        campaign(1.5)
