"""Ours and the oracle, as simulator policies over the production pacing functions.

`Ours` keeps a `PacingState` and calls `pacing.decide` / `pacing.observe`, as the
daemon does. `Oracle` is the same placement (`pacing.engine.place`, same ring model,
same controller) with the talk-time forecast replaced by every busy agent's exact
finish time: an upper reference for what a better forecast could add.
"""

from __future__ import annotations

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


class Oracle:
    wants_truth = True

    def __init__(self, settings: PacingSettings, tick_s: float = 1.0) -> None:
        self.name = "oracle"
        self.tick_s = tick_s
        self.state = PacingState.initial(settings)

    def decide(self, inputs: PacingInputs, now: float, truth: tuple[float, ...]) -> int:
        ring = self.state.ring.fit
        ends = deadlines(ring, inputs.settings.grace_s)
        view = outlook(inputs, known_free(inputs, truth, ends), ring)
        decision, self.state = place(inputs, view, self.state)
        return decision.dials

    def observe(self, observation: Observation) -> None:
        self.state = observe(self.state, observation)
