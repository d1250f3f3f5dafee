"""Invariants of every decision, over arbitrary situations."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from pacing import Mode, PacingInputs, PacingSettings, PacingState, WindowCounts, decide
from tests.unit.pacing.support import PREDICTIVE, predictive_inputs

# a state whose agent table is built, so each example costs microseconds
STATE = decide(predictive_inputs(ready=1), PacingState.initial(PREDICTIVE), 0.0)[1]

seconds = st.floats(min_value=0.0, max_value=4000.0, allow_nan=False)
windows = st.builds(WindowCounts, st.integers(0, 100_000), st.integers(0, 5_000))


@st.composite
def situations(draw: st.DrawFn, mode: Mode | None = None) -> PacingInputs:
    settings_ = PacingSettings(
        mode=mode or draw(st.sampled_from(Mode)),
        dial_ratio=draw(st.floats(0.0, 6.0)),
        max_lines_per_agent=draw(st.floats(0.5, 12.0)),
        abandon_target=draw(st.floats(0.005, 0.1)),
        grace_s=draw(st.floats(0.0, 5.0)),
        wrapup_s=draw(st.floats(0.0, 60.0)),
    )
    return PacingInputs(
        settings=settings_,
        ready_agents=draw(st.integers(0, 40)),
        talking_s=tuple(draw(st.lists(seconds, max_size=40))),
        wrapping_s=tuple(draw(st.lists(st.floats(0.0, 60.0), max_size=10))),
        ringing_s=tuple(draw(st.lists(st.floats(0.0, 200.0), max_size=80))),
        waiting_calls=draw(st.integers(0, 10)),
        lines_free=draw(st.integers(-5, 200)),
        dials_allowed_now=draw(st.integers(-2, 50)),
        window=draw(windows),
        next_lead_requests=draw(st.integers(0, 10)),
    )


@settings(max_examples=300, deadline=None)
@given(situations())
def test_dials_are_never_negative_nor_above_the_line_and_rate_caps(inputs: PacingInputs) -> None:
    decision, _ = decide(inputs, STATE, 0.0)
    assert decision.dials >= 0
    assert decision.dials <= max(0, inputs.lines_free)
    assert decision.dials <= max(0, inputs.dials_allowed_now)
    assert decision.reason


@settings(max_examples=200, deadline=None)
@given(situations())
def test_modes_with_agents_respect_the_lines_per_agent_cap(inputs: PacingInputs) -> None:
    decision, _ = decide(inputs, STATE, 0.0)
    if inputs.settings.mode is not Mode.BROADCAST and decision.dials > 0:
        cap = inputs.settings.max_lines_per_agent * inputs.staffed_agents
        assert inputs.in_flight + decision.dials <= cap + 1e-9


@settings(max_examples=200, deadline=None)
@given(situations(Mode.PREDICTIVE))
def test_predictive_places_nothing_without_agents(inputs: PacingInputs) -> None:
    no_agents = replace(inputs, ready_agents=0, talking_s=(), wrapping_s=())
    assert decide(no_agents, STATE, 0.0)[0].dials == 0


@settings(max_examples=200, deadline=None)
@given(situations(Mode.PROGRESSIVE))
def test_progressive_places_nothing_without_ready_agents(inputs: PacingInputs) -> None:
    assert decide(replace(inputs, ready_agents=0), STATE, 0.0)[0].dials == 0


@settings(max_examples=300, deadline=None)
@given(situations(Mode.PREDICTIVE), st.integers(1, 500), st.booleans())
def test_more_abandon_budget_spent_never_means_more_dials(
    inputs: PacingInputs, extra: int, same_answers: bool
) -> None:
    window = inputs.window
    moved = min(extra, window.connected) if same_answers else 0
    spent = WindowCounts(window.connected - moved, window.abandoned + extra)
    before = decide(inputs, STATE, 0.0)[0]
    after = decide(replace(inputs, window=spent), STATE, 0.0)[0]
    assert after.dials <= before.dials
    assert after.risk_limit <= before.risk_limit
