from __future__ import annotations

from dataclasses import replace

import pytest

from pacing import (
    CallAbandoned,
    CallEnded,
    DialEnded,
    Mode,
    PacingInputs,
    PacingSettings,
    PacingState,
    WindowCounts,
    decide,
    observe,
)
from tests.unit.pacing.support import PREDICTIVE, predictive_inputs

STATE = PacingState.initial(PREDICTIVE)


def run(inputs: PacingInputs, state: PacingState = STATE) -> int:
    return decide(inputs, state, now=0.0)[0].dials


def with_mode(
    mode: Mode,
    *,
    ratio: float = 1.0,
    ready_agents: int = 0,
    ringing_s: tuple[float, ...] = (),
    lines_free: int = 1000,
    dials_allowed_now: int = 1000,
    next_lead_requests: int = 0,
) -> PacingInputs:
    return PacingInputs(
        settings=PacingSettings(mode=mode, dial_ratio=ratio),
        ready_agents=ready_agents,
        ringing_s=ringing_s,
        lines_free=lines_free,
        dials_allowed_now=dials_allowed_now,
        next_lead_requests=next_lead_requests,
    )


# ---- the simple modes ---------------------------------------------------------------


def test_preview_dials_one_per_request() -> None:
    inputs = with_mode(Mode.PREVIEW, ready_agents=2, next_lead_requests=2)
    decision = decide(inputs, STATE, 0.0)[0]
    assert decision.dials == 2
    assert "asked for their next lead" in decision.reason


def test_progressive_keeps_ratio_calls_per_ready_agent() -> None:
    inputs = with_mode(Mode.PROGRESSIVE, ratio=2.0, ready_agents=3, ringing_s=(1.0, 2.0))
    assert run(inputs) == 4


def test_progressive_without_ready_agents_dials_nothing() -> None:
    decision = decide(with_mode(Mode.PROGRESSIVE, ready_agents=0), STATE, 0.0)[0]
    assert decision.dials == 0
    assert decision.reason == "no ready agents"


def test_broadcast_fills_free_lines_without_agents() -> None:
    inputs = with_mode(Mode.BROADCAST, ready_agents=0, lines_free=12, dials_allowed_now=5)
    decision = decide(inputs, STATE, 0.0)[0]
    assert decision.dials == 5
    assert "calls-per-second cap allows 5 of 12" in decision.reason


@pytest.mark.parametrize(
    ("lines", "rate", "why"), [(1, 9, "line cap"), (9, 2, "calls-per-second cap")]
)
def test_caps_cut_the_dials_and_say_so(lines: int, rate: int, why: str) -> None:
    inputs = with_mode(Mode.PROGRESSIVE, ready_agents=5, lines_free=lines, dials_allowed_now=rate)
    decision = decide(inputs, STATE, 0.0)[0]
    assert decision.dials == min(lines, rate)
    assert why in decision.reason


def test_lines_per_agent_cap() -> None:
    settings = PacingSettings(mode=Mode.PROGRESSIVE, dial_ratio=10.0, max_lines_per_agent=2.0)
    inputs = replace(predictive_inputs(settings=settings), ready_agents=3, ringing_s=(1.0,))
    decision = decide(inputs, STATE, 0.0)[0]
    assert decision.dials == 5
    assert "lines-per-agent cap" in decision.reason


def test_settings_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="abandon_target"):
        PacingSettings(abandon_target=3.0)


# ---- predictive ---------------------------------------------------------------------


def test_predictive_without_agents_dials_nothing() -> None:
    decision = decide(predictive_inputs(ringing=(3.0,)), STATE, 0.0)[0]
    assert decision.dials == 0
    assert "no agents" in decision.reason


def test_predictive_dials_ahead_for_idle_agents() -> None:
    decision, _ = decide(predictive_inputs(ready=5), STATE, 0.0)
    assert decision.dials > 5  # a quarter of dials answer: more dials than agents
    assert decision.agents_free_soon == pytest.approx(5.0)
    assert "abandon risk" in decision.reason


def test_predictive_dials_for_agents_about_to_finish_wrap_up() -> None:
    nearly_free = predictive_inputs(wrapping=(9.0, 9.0))  # 1 s of 10 s wrap-up left
    just_started = predictive_inputs(talking=(1.0, 1.0))
    assert run(nearly_free) > 0
    assert run(just_started) == 0


def test_predictive_holds_back_when_many_calls_are_ringing() -> None:
    assert run(predictive_inputs(ready=2, ringing=(3.0,) * 30)) == 0


def test_a_spent_budget_dials_less() -> None:
    fresh = predictive_inputs(ready=4, talking=(100.0,) * 10)
    spent = replace(fresh, window=WindowCounts(connected=900, abandoned=100))
    assert run(spent) < run(fresh)


def test_decision_reports_metrics() -> None:
    decision, _ = decide(predictive_inputs(ready=3, ringing=(2.0,)), STATE, 0.0)
    assert decision.dial_level == pytest.approx((1 + decision.dials) / 3)
    assert 0 < decision.risk_limit < 0.1


def test_decide_builds_the_agent_table_once_and_reuses_it() -> None:
    _, state = decide(predictive_inputs(ready=1), STATE, 0.0)
    assert state.table is not None
    _, again = decide(predictive_inputs(ready=1), state, 1.0)
    assert again.table is state.table


def test_observe_learns_from_results() -> None:
    state = STATE
    for _ in range(200):
        state = observe(state, DialEnded(ring_s=10.0, answered=True))
        state = observe(state, CallEnded(talk_s=30.0))
    state = replace(state, ring=state.ring.refitted(), handle=state.handle.refitted())
    assert state.ring.fit.answer_share > 0.8
    assert state.handle.mean_s < 40.0


def test_abandons_feed_the_calibration() -> None:
    state = observe(STATE, CallAbandoned())
    assert state.calibration.realized == STATE.calibration.realized + 1


def test_predictive_decisions_feed_the_calibration() -> None:
    decision, state = decide(predictive_inputs(ready=5), STATE, 0.0)
    assert decision.dials > 0
    assert state.calibration.predicted > STATE.calibration.predicted


def test_a_young_talk_time_model_refreshes_the_table_at_once() -> None:
    """After a start, the table built from the prior must not pace the first 5 minutes."""
    inputs = predictive_inputs(ready=2, talking=(3.0,) * 8)
    _, state = decide(inputs, STATE, now=0.0)
    built = state.table
    for _ in range(40):  # a short-call campaign: the prior's 120 s is far off
        state = observe(state, CallEnded(talk_s=10.0))
    _, state = decide(inputs, state, now=5.0)
    assert state.table is not built
    assert state.table is not None
    assert state.table.handle_version == state.handle.version
    # once the model is mature, a refit waits for the refresh interval
    for _ in range(400):
        state = observe(state, CallEnded(talk_s=10.0))
    _, state = decide(inputs, state, now=6.0)
    mature = state.table
    state = observe(state, CallEnded(talk_s=10.0))
    for _ in range(60):
        state = observe(state, CallEnded(talk_s=10.0))
    _, state = decide(inputs, state, now=7.0)
    assert state.table is mature
