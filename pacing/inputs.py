"""What the daemon tells pacing each tick, and what pacing answers.

All values are frozen and cheap to build: per-agent and per-dial facts are plain tuples
of elapsed seconds, measured on the daemon's monotonic clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from pacing.ledger import ComplianceWindow, WindowCounts


class Mode(enum.Enum):
    PREVIEW = "preview"  # dial only when an agent asks for the next lead
    PROGRESSIVE = "progressive"  # `dial_ratio` calls in flight per ready agent
    PREDICTIVE = "predictive"  # dial ahead of agents, within the abandon budget
    BROADCAST = "broadcast"  # agentless: the call plays the campaign's message or IVR


@dataclass(frozen=True, slots=True)
class PacingSettings:
    """One campaign's pacing settings; the daemon builds this once per campaign."""

    mode: Mode = Mode.PROGRESSIVE
    dial_ratio: float = 1.0  # progressive: calls in flight per ready agent
    abandon_target: float = 0.03  # share of live answers that may be abandoned
    window: ComplianceWindow = ComplianceWindow.US_30_DAYS
    grace_s: float = 2.0  # safe harbour: an answered call must reach an agent this fast
    wrapup_s: float = 10.0  # the queue's wrap-up time after each call
    max_lines_per_agent: float = 10.0  # ringing + waiting calls per staffed agent
    expected_talk_s: float = 120.0  # prior for the talk time until calls complete

    def __post_init__(self) -> None:
        if not 0.0 < self.abandon_target < 1.0:
            raise ValueError(f"abandon_target must be a share in (0, 1), got {self.abandon_target}")
        if self.dial_ratio < 0 or self.grace_s < 0 or self.wrapup_s < 0:
            raise ValueError("dial_ratio, grace_s and wrapup_s must not be negative")
        if self.max_lines_per_agent <= 0 or self.expected_talk_s <= 0:
            raise ValueError("max_lines_per_agent and expected_talk_s must be positive")


@dataclass(frozen=True, slots=True)
class PacingInputs:
    """One campaign's situation now. Paused and logged-out agents appear nowhere."""

    settings: PacingSettings
    ready_agents: int  # free to take a call right now
    talking_s: tuple[float, ...] = ()  # per agent on a call: seconds since it connected
    # per agent on a call of an inbound queue (blended): the queue, seconds since connected
    inbound: tuple[tuple[str, float], ...] = ()
    inbound_waiting: int = 0  # callers waiting in those queues: ahead of any new dial
    wrapping_s: tuple[float, ...] = ()  # per agent in wrap-up: seconds since it started
    ringing_s: tuple[float, ...] = ()  # per dial not answered yet: seconds since originate
    waiting_calls: int = 0  # answered, not yet with an agent
    lines_free: int = 0  # under the tighter of the campaign's and the trunk's line caps
    dials_allowed_now: int = 0  # what the calls-per-second cap still allows
    window: WindowCounts = field(default_factory=WindowCounts)  # compliance window so far
    next_lead_requests: int = 0  # preview: agents who asked for their next lead
    # answering machine detection: its mean time, spent before a call is queued (0: none)
    amd_s: float = 0.0

    @property
    def grace_left_s(self) -> float:
        """The grace an agent has once a call is queued: AMD's time counts inside it."""
        return max(0.0, self.settings.grace_s - self.amd_s)

    @property
    def staffed_agents(self) -> int:
        """Agents who can take calls: ready, talking (on any queue's call) or wrapping up."""
        return self.ready_agents + len(self.talking_s) + len(self.inbound) + len(self.wrapping_s)

    @property
    def in_flight(self) -> int:
        """Calls that may still need an agent: ringing, or answered and waiting."""
        return len(self.ringing_s) + self.waiting_calls


@dataclass(frozen=True, slots=True)
class Decision:
    """How many calls to place now and why; the other fields are for metrics."""

    dials: int
    reason: str
    dial_level: float = 0.0  # calls in flight after these dials, per staffed agent
    agents_free_soon: float = 0.0  # forecast: agents expected free when new dials answer
    risk_limit: float = 0.0  # abandon risk accepted for the last dial placed
    budget_left: float = 0.0  # abandons the window can still absorb at the target
