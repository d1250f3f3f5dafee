"""Inbound callers compete with new dials for the campaign's agents."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pacing import InboundConnected, PacingState, decide, observe
from pacing.arrivals import MIN_SPAN_S, RATE_WINDOW_S, ArrivalRate, arrival_chances
from pacing.sim import Scenario, run_shift
from pacing.sim.policies import InboundBlind, Ours
from pacing.sim.world import settings_for
from tests.unit.pacing.support import PREDICTIVE, predictive_inputs


def test_the_rate_counts_recent_connects_over_the_time_seen() -> None:
    rate = ArrivalRate()
    assert rate.per_s(100.0) == 0.0
    for t in range(0, 600, 10):  # one every 10 s for ten minutes
        rate = rate.observed(float(t))
    assert rate.per_s(600.0) == pytest.approx(60 / 600.0)
    assert rate.per_s(600.0 + RATE_WINDOW_S + 1) == 0.0  # all of them too old
    young = ArrivalRate().observed(5.0)
    assert young.per_s(6.0) == pytest.approx(1 / MIN_SPAN_S)  # one call is not one a second


def test_expected_arrivals_are_small_chances_that_add_up_to_the_poisson_mean() -> None:
    chances = arrival_chances(0.1, (10.0, 20.0))
    assert [sum(c) for c in chances] == pytest.approx([1.0, 2.0])
    assert max(max(c) for c in chances) <= 0.25
    assert arrival_chances(0.0, (10.0,)) == [()]


def test_callers_waiting_hold_dials_back() -> None:
    inputs = predictive_inputs(ready=6)
    free = decide(inputs, PacingState.initial(PREDICTIVE), now=0.0)[0].dials
    waiting = decide(replace(inputs, inbound_waiting=3), PacingState.initial(PREDICTIVE), 0.0)
    assert waiting[0].dials < free
    assert waiting[0].dials <= 3  # three of the six agents go to the callers waiting


def test_callers_expected_to_arrive_hold_dials_back() -> None:
    quiet = PacingState.initial(PREDICTIVE)
    busy = quiet
    for t in range(0, 600, 5):  # an inbound call every 5 s
        busy = observe(busy, InboundConnected(float(t)))
    inputs = predictive_inputs(ready=6)
    assert decide(inputs, busy, 600.0)[0].dials < decide(inputs, quiet, 600.0)[0].dials


BUSY_LINE = Scenario(
    agents=10,
    answer_rate=0.25,
    talk_mean_s=60.0,
    shift_s=2 * 3600.0,
    inbound_per_hour=360,
    inbound_talk_s=20.0,
)


def test_with_inbound_callers_pacing_that_sees_them_keeps_the_abandon_target() -> None:
    seeing = run_shift(BUSY_LINE, Ours(settings_for(BUSY_LINE)), seed=1)
    blind = run_shift(BUSY_LINE, InboundBlind(settings_for(BUSY_LINE)), seed=1)
    assert seeing.abandon_rate < 0.035
    assert blind.abandon_rate > 0.06  # inbound callers took the agents it counted on
    assert seeing.connected > 0


def test_without_inbound_callers_seeing_them_changes_nothing() -> None:
    plain = replace(BUSY_LINE, inbound_per_hour=0.0)
    seeing = run_shift(plain, Ours(settings_for(plain)), seed=1)
    assert seeing == run_shift(plain, InboundBlind(settings_for(plain)), seed=1)
