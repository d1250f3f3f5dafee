"""Superseded by `pacing.engine` (see docs/pacing.md); kept only until dialerd/campaign.py
is wired to the new API (issue 4, item 6): import it as `pacing.core` meanwhile, then
delete this module.

`decide(inputs) -> Decision`: the number of new dials for one campaign, with a reason.

Progressive mode: keep at most `dial_ratio` calls in flight per ready agent, where "in
flight" counts every call that could still need an agent (ringing, or answered and
waiting). Guards apply to every mode: no ready agents means no dials; the campaign's
and the trunk's free lines and the calls-per-second budget cap the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PacingInputs:
    ready_agents: int
    ringing: int  # originated, not answered yet
    waiting_for_agent: int  # answered, not yet with an agent
    lines_free: int  # campaign and trunk line caps, minus calls up
    dials_allowed_now: int  # calls-per-second budget left this instant
    dial_ratio: float = 1.0


@dataclass(frozen=True, slots=True)
class Decision:
    dials: int
    reason: str


def decide(inputs: PacingInputs) -> Decision:
    if inputs.ready_agents <= 0:
        return Decision(0, "no ready agents")
    in_flight = inputs.ringing + inputs.waiting_for_agent
    target = math.floor(inputs.ready_agents * inputs.dial_ratio + 1e-9)
    wanted = target - in_flight
    if wanted <= 0:
        return Decision(0, f"{in_flight} calls in flight cover {inputs.ready_agents} ready agents")
    for cap, why in (
        (inputs.lines_free, "line cap reached"),
        (inputs.dials_allowed_now, "calls-per-second cap reached"),
    ):
        if cap <= 0:
            return Decision(0, why)
        if wanted > cap:
            return Decision(cap, f"{why}: {cap} of {wanted} wanted")
    return Decision(wanted, f"{inputs.ready_agents} ready agents, {in_flight} in flight")
