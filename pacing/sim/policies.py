"""Ours and the oracle, as simulator policies over the production pacing functions.

`Ours` keeps a `PacingState` and calls `pacing.decide` / `pacing.observe`, as the
daemon does. `Oracle` is the same placement (`pacing.engine.place`, same ring model,
same controller) with the talk-time forecast replaced by every busy agent's exact
finish time: an upper reference for what a better forecast could add.
"""

from __future__ import annotations

from dataclasses import replace

from pacing.arrivals import InboundConnected
from pacing.blended import InboundEnded
from pacing.engine import Observation, PacingState, decide, observe, place
from pacing.forecast import deadlines, known_free, outlook
from pacing.inputs import Decision, Mode, PacingInputs, PacingSettings


class Ours:
    wants_truth = False

    def __init__(self, settings: PacingSettings, tick_s: float = 1.0, name: str = "ours") -> None:
        if settings.mode is not Mode.PREDICTIVE:
            raise ValueError("Ours simulates the predictive mode")
        self.name = name
        self.tick_s = tick_s
        self.state = PacingState.initial(settings)
        self.last = Decision(0, "starting")

    def decide(self, inputs: PacingInputs, now: float, truth: tuple[float, ...]) -> int:
        self.last, self.state = decide(inputs, self.state, now)
        return self.last.dials

    def observe(self, observation: Observation) -> None:
        self.state = observe(self.state, observation)


class InboundBlind(Ours):
    """Ours as the daemon paced blended agents before it followed inbound calls: an agent
    on one counts as on a campaign call that has just begun, inbound callers waiting or
    arriving are not seen, and no inbound call is learnt from. The reference for what
    following them adds (pacing.blended, pacing.arrivals)."""

    def __init__(self, settings: PacingSettings, tick_s: float = 1.0) -> None:
        super().__init__(settings, tick_s, name="ours, inbound unseen")

    def decide(self, inputs: PacingInputs, now: float, truth: tuple[float, ...]) -> int:
        unseen = (0.0,) * len(inputs.inbound)
        talking = (*inputs.talking_s, *unseen)
        blind = replace(inputs, talking_s=talking, inbound=(), inbound_waiting=0)
        return super().decide(blind, now, truth)

    def observe(self, observation: Observation) -> None:
        if not isinstance(observation, InboundEnded | InboundConnected):
            super().observe(observation)


class Oracle:
    wants_truth = True

    def __init__(self, settings: PacingSettings, tick_s: float = 1.0) -> None:
        self.name = "oracle"
        self.tick_s = tick_s
        self.state = PacingState.initial(settings)

    def decide(self, inputs: PacingInputs, now: float, truth: tuple[float, ...]) -> int:
        ring = self.state.ring.fit
        ends = deadlines(ring, inputs.settings.grace_s)
        arrivals = self.state.arrivals.per_s(now)  # known as to ours: no future is given
        view = outlook(inputs, known_free(inputs, truth, ends), ring, arrivals)
        decision, self.state = place(inputs, view, self.state)
        return decision.dials

    def observe(self, observation: Observation) -> None:
        self.state = observe(self.state, observation)
