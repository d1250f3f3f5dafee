"""Pacing with answering machine detection: machines are not answers, their share is learnt
apart, and the grace left after AMD shortens the agent deadlines."""

from __future__ import annotations

from dataclasses import replace

from pacing import DialEnded, Mode, PacingInputs, PacingSettings, PacingState, decide, observe

SETTINGS = PacingSettings(mode=Mode.PREDICTIVE, grace_s=2.0)


def test_machines_are_learnt_as_their_own_share_and_not_as_answers() -> None:
    state = PacingState.initial(SETTINGS)
    for n in range(200):
        machine = n % 4 == 0  # a quarter of the answers are machines
        state = observe(state, DialEnded(ring_s=10.0, answered=not machine, machine=machine))
    assert 0.15 < state.machines.share < 0.35
    human_only = PacingState.initial(SETTINGS)
    for _ in range(150):
        human_only = observe(human_only, DialEnded(ring_s=10.0, answered=True))
    assert state.ring.fit.answer_share < human_only.ring.fit.answer_share


def test_amd_time_counts_inside_the_grace() -> None:
    inputs = PacingInputs(settings=SETTINGS, ready_agents=1, lines_free=10, amd_s=1.5)
    assert inputs.grace_left_s == 0.5
    assert PacingInputs(settings=SETTINGS, ready_agents=1, amd_s=3.0).grace_left_s == 0.0


def test_less_grace_left_places_no_more_dials() -> None:
    state = PacingState.initial(SETTINGS)
    base = PacingInputs(
        settings=SETTINGS,
        ready_agents=0,
        talking_s=(60.0,) * 10,
        lines_free=50,
        dials_allowed_now=50,
    )
    without, _ = decide(base, state, now=0.0)
    with_amd, _ = decide(replace(base, amd_s=2.0), state, now=0.0)
    assert with_amd.dials <= without.dials
    assert "machines" not in with_amd.reason  # nothing classified yet
