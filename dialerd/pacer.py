"""One campaign's pacing: what the runner sees, handed to the pure core, and what it learns.

The runner owns the calls and the agent board; this module turns them into
`pacing.PacingInputs` each tick, keeps the `PacingState` the core returns, and feeds it
observations as calls progress: a dial's result when it is known (answered, or ended
unanswered), a conversation's talk time, an abandon. The abandon window (connected and
abandoned calls of the campaign over the compliance window) is read from PostgreSQL's
call attempts every `WINDOW_REFRESH_S`, so a restart does not reset the budget and
several nodes share one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from dialerd.agents import AgentBoard
from dialerd.config import Campaign
from pacing import (
    CallAbandoned,
    CallEnded,
    ComplianceWindow,
    Decision,
    DialEnded,
    Mode,
    Observation,
    PacingInputs,
    PacingSettings,
    PacingState,
    WindowCounts,
    decide,
    observe,
)

WINDOW_REFRESH_S = 30.0


def pacing_settings(campaign: Campaign) -> PacingSettings:
    p = campaign.pacing
    return PacingSettings(
        mode=Mode(campaign.mode),
        dial_ratio=campaign.lines.dial_ratio,
        abandon_target=p.abandon_target,
        window=ComplianceWindow(p.window),
        grace_s=campaign.safe_harbour.grace_s,
        wrapup_s=campaign.wrapup_s,
        max_lines_per_agent=p.max_lines_per_agent,
        expected_talk_s=p.expected_talk_s,
    )


@dataclass(frozen=True, slots=True)
class Situation:
    """What the runner knows now, in monotonic seconds since each call's last step."""

    board: AgentBoard
    ringing_s: tuple[float, ...]  # per dial not answered yet: seconds since the Originate
    talking_s: tuple[float, ...]  # per call with an agent: seconds since it connected
    waiting_calls: int  # answered, no agent yet
    lines_free: int
    dials_allowed_now: int
    amd_s: float = 0.0  # mean AMD time of answered calls before they are queued (0: no AMD)
    # per agent on an inbound call whose start was seen: its queue, seconds since it began
    inbound: tuple[tuple[str, float], ...] = ()
    inbound_waiting: int = 0  # inbound callers waiting in those queues


@dataclass
class Pacer:
    settings: PacingSettings
    state: PacingState
    window: WindowCounts = field(default_factory=WindowCounts)
    window_read_at: float = float("-inf")
    inbound_reserve: float = 0.0  # agents.inbound_reserve: share kept for inbound calls

    @classmethod
    def create(cls, campaign: Campaign) -> Pacer:
        settings = pacing_settings(campaign)
        reserve = campaign.agents.inbound_reserve
        return cls(settings, PacingState.initial(settings), inbound_reserve=reserve)

    def reconfigure(self, campaign: Campaign) -> None:
        """New settings from a reload; what was learned so far is kept."""
        self.settings = pacing_settings(campaign)
        self.inbound_reserve = campaign.agents.inbound_reserve

    def window_due(self, now: float) -> bool:
        return now - self.window_read_at >= WINDOW_REFRESH_S

    def window_read(self, counts: WindowCounts, now: float) -> None:
        self.window, self.window_read_at = counts, now

    def decide(self, inputs: PacingInputs, now: float) -> Decision:
        """The decision for `inputs` (from `inputs`, which /status shows as well)."""
        decision, self.state = decide(inputs, self.state, now)
        return decision

    def inputs(self, seen: Situation, now: float) -> PacingInputs:
        wrapping = wrapping_s(seen.board, now)
        # agents busy on calls that are not this campaign's: those on an inbound call whose
        # start was seen are forecast from their queue's handle times; the rest (a call of
        # another campaign, a manual one, a start missed) as talking since 0 s, the cautious
        # guess
        others = max(0, seen.board.busy_count() - len(seen.talking_s))
        inbound = seen.inbound[:others]
        ready = ready_after_reserve(
            seen.board.ready_count(now), seen.board.logged_in_count(), others, self.inbound_reserve
        )
        return PacingInputs(
            settings=self.settings,
            ready_agents=ready,
            talking_s=(*seen.talking_s, *([0.0] * (others - len(inbound)))),
            inbound=inbound,
            inbound_waiting=seen.inbound_waiting,
            wrapping_s=wrapping,
            ringing_s=seen.ringing_s,
            waiting_calls=seen.waiting_calls,
            lines_free=seen.lines_free,
            dials_allowed_now=seen.dials_allowed_now,
            window=self.window,
            amd_s=seen.amd_s,
        )

    def learn(self, observations: Iterable[Observation]) -> None:
        for observation in observations:
            self.state = observe(self.state, observation)


def ready_after_reserve(ready: int, staffed: int, on_inbound: int, share: float) -> int:
    """The ready agents pacing may use when ``share`` of the ``staffed`` agents is kept for
    inbound calls; those already on inbound calls (``on_inbound``) count towards it."""
    reserve = math.ceil(share * staffed - 1e-9)  # 0.3 x 10 is 3, not 4
    return max(0, ready - max(0, reserve - on_inbound))


def wrapping_s(board: AgentBoard, now: float) -> tuple[float, ...]:
    """Seconds each agent in wrap-up has spent in it."""
    return tuple(
        board.wrapup_s - (agent.wrapup_until - now)
        for agent in board.agents.values()
        if agent.wrapup_until > now and not agent.paused and agent.logged_in
    )


def dial_result(ring_s: float, answered: bool, machine: bool = False) -> DialEnded:
    return DialEnded(ring_s=max(0.0, ring_s), answered=answered, machine=machine)


def call_result(talk_s: float | None, abandoned: bool) -> tuple[Observation, ...]:
    if abandoned:
        return (CallAbandoned(),)
    if talk_s is not None:
        return (CallEnded(talk_s=talk_s),)
    return ()
