"""What a simulated campaign looks like, what a policy must offer, and what a shift yields."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from pacing.engine import Observation
from pacing.inputs import PacingInputs


@dataclass(frozen=True, slots=True)
class Scenario:
    agents: int = 25
    answer_rate: float = 0.25
    talk_mean_s: float = 120.0
    talk_sigma: float = 0.8  # lognormal shape: coefficient of variation about 0.95
    wrapup_s: float = 10.0
    grace_s: float = 2.0  # the US two-second rule
    shift_s: float = 8 * 3600.0
    pickup_s: tuple[float, float] = (15.0, 25.0)  # ring time of answered dials
    fail_s: tuple[float, float] = (2.0, 6.0)  # busy, invalid number
    no_answer_s: tuple[float, float] = (25.0, 35.0)
    fail_share: float = 0.1  # of the unanswered dials, those that fail fast
    abandon_target: float = 0.03
    start_hour: float = 9.0  # wall-clock hour the shift starts (VICIdial's tapered brake reads it)
    # blended agents: inbound callers (Poisson) whom the same agents serve first
    inbound_per_hour: float = 0.0
    inbound_talk_s: float = 240.0  # their mean talk time (lognormal, shape talk_sigma)

    def __post_init__(self) -> None:
        if self.agents < 1 or not 0.0 < self.answer_rate <= 1.0:
            raise ValueError("a scenario needs at least one agent and an answer rate in (0, 1]")
        if self.talk_mean_s <= 0 or self.talk_sigma < 0 or self.shift_s <= 0:
            raise ValueError("talk time and shift length must be positive")
        if self.inbound_per_hour < 0 or self.inbound_talk_s <= 0:
            raise ValueError("the inbound rate must not be negative, its talk time positive")

    @property
    def talk_mu(self) -> float:
        return math.log(self.talk_mean_s) - self.talk_sigma**2 / 2.0

    @property
    def inbound_mu(self) -> float:
        return math.log(self.inbound_talk_s) - self.talk_sigma**2 / 2.0

    def label(self) -> str:
        label = f"N={self.agents} answer={self.answer_rate:g} talk={self.talk_mean_s:g}s"
        if self.inbound_per_hour:
            label += f" inbound={self.inbound_per_hour:g}/h x {self.inbound_talk_s:g}s"
        return label


class Policy(Protocol):
    """A pacing policy as the simulator drives it: ours, the oracle or a baseline."""

    name: str
    tick_s: float  # how often the simulator asks it
    wants_truth: bool  # give it every busy agent's exact seconds until free (the oracle)

    def decide(self, inputs: PacingInputs, now: float, truth: tuple[float, ...]) -> int: ...

    def observe(self, observation: Observation) -> None: ...


@dataclass(frozen=True, slots=True)
class Slice:
    """One stretch of the shift, for progress reports and plots."""

    end_s: float
    occupancy: float
    abandon_rate: float


@dataclass(frozen=True, slots=True)
class ShiftResult:
    busy_s: float  # agents' talk + wrap-up within the shift
    agent_s: float  # logged-in agent time
    connected: int
    abandoned: int
    dials: int
    timeline: tuple[Slice, ...] = ()

    @property
    def occupancy(self) -> float:
        return self.busy_s / self.agent_s

    @property
    def abandon_rate(self) -> float:
        answered = self.connected + self.abandoned
        return self.abandoned / answered if answered else 0.0

    @property
    def idle_minutes_per_agent_hour(self) -> float:
        return 60.0 * (1.0 - self.occupancy)

    @property
    def connects_per_agent_hour(self) -> float:
        return self.connected / (self.agent_s / 3600.0)
